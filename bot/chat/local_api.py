"""The in-process Bot API served over HTTP: a local Telegram for PTB's real HTTP client.

`intake-bot run` pointed at it with TELEGRAM_API_BASE_URL=http://HOST:PORT/bot runs
exactly as against Telegram, with no network: used by the end-to-end tests.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from bot.chat.transport import OfflineBotAPI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Parameters PTB sends JSON-encoded; every other value is sent as plain text.
_JSON_PARAMETERS = frozenset(
    {"reply_markup", "commands", "allowed_updates", "entities", "scope", "link_preview_options"}
)
_INTEGER_PARAMETERS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout"})


def decode_form(body: bytes) -> dict[str, Any]:
    """PTB's form body (each value JSON-encoded unless it is a string) as parameters."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if key in _JSON_PARAMETERS:
            params[key] = json.loads(value)
        elif key in _INTEGER_PARAMETERS and value.lstrip("-").isdigit():
            params[key] = int(value)
        else:
            params[key] = value
    return params


def app(api: OfflineBotAPI) -> ASGIApp:
    """An ASGI app answering POST /bot<token>/<method> from `api`."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        if content_type.startswith(b"application/json"):
            params = json.loads(body or b"{}")
        else:
            params = decode_form(body)
        endpoint = scope["path"].rsplit("/", 1)[-1]
        status, payload = await api.call(endpoint, params)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return asgi
