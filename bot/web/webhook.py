"""Telegram's updates, when the bot runs with a webhook."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

WEBHOOK_PATH = "/telegram/webhook"
MAX_UPDATE_BYTES = 1_000_000
Updates = Callable[[dict[str, Any]], Awaitable[None]]  # a Telegram update, to be handled


class Webhook:
    """The endpoint Telegram posts updates to, guarded by the webhook's secret token."""

    def __init__(self, secret: str | None, updates: Updates | None) -> None:
        self.secret = secret
        self.updates = updates

    async def on_update(self, request: Request) -> Response:
        """Telegram's updates, when the bot runs with a webhook: checked, queued, answered."""
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        secret = self.secret
        if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        if int(request.headers.get("content-length") or 0) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            update = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return Response(status_code=400)
        assert self.updates is not None
        await self.updates(update)  # queued: processing happens after the answer
        return Response(status_code=200)
