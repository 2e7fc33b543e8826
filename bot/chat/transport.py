"""An in-process Telegram Bot API: PTB's real pipeline runs over it with no network.

`OfflineBotAPI` answers the Bot API calls the bot makes and keeps each chat's messages.
`SimulatedPerson` (bot/chat/phone.py) plays the phone: it builds the updates a Telegram
client would send.
Updates reach the bot either through getUpdates (polling, as in production) or by
handing them to `Application.process_update` directly (tests).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.chat.phone import BOT_USER, BotMessage, SimulatedPerson

OFFLINE_TOKEN = "100000001:offline-simulator-token"
# Telegram's limits, which the offline API enforces as Telegram does: 400 and its words.
MESSAGE_LIMIT = 4096  # characters of a message's text
CAPTION_LIMIT = 1024  # characters of a media caption
CALLBACK_DATA_LIMIT = 64  # bytes of a button's callback_data
ALERT_LIMIT = 200  # characters of answerCallbackQuery's text
_TEXT_METHODS = frozenset({"sendmessage", "editmessagetext"})
_CHAT_METHODS = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})
BLOCKED = "Forbidden: bot was blocked by the user"
TIMEOUT = 0  # a Fault status: no answer at all, as when the network drops


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class OfflineBotAPI(BaseRequest):
    """Answers Bot API methods in-process. Use one instance for `request` and `get_updates`."""

    chats: dict[int, list[BotMessage]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=lambda: defaultdict(list))
    listeners: list[Callable[[str, BotMessage], None]] = field(default_factory=list)
    record_calls: bool = True
    history: int = 200  # messages kept per chat, as a phone scrolls them away
    latency: float = 0.0  # seconds each call takes, as over a real network
    blocked: set[int] = field(default_factory=set)  # people who blocked the bot

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._unconfirmed: list[dict[str, Any]] = []  # delivered, not yet confirmed by offset
        self._arrived: asyncio.Event | None = None
        self.webhook: dict[str, Any] | None = None

    # BaseRequest

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        return await self.call(endpoint, params)

    async def call(self, endpoint: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """Answer one Bot API method: (HTTP status, JSON body), as Telegram would."""
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.record_calls:
            self.calls.append((endpoint, params))
        if self.faults.get(endpoint):
            fault = self.faults[endpoint].pop(0)
            if fault.status == TIMEOUT:
                raise TimedOut(f"{endpoint} timed out (simulated)")
            body: dict[str, Any] = {
                "ok": False,
                "error_code": fault.status,
                "description": fault.description,
            }
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, json.dumps(body).encode()
        if endpoint.lower() in _CHAT_METHODS and _chat_id(params) in self.blocked:
            body = {"ok": False, "error_code": 403, "description": BLOCKED}
            return 403, json.dumps(body).encode()
        # Bot API method names are case-insensitive (PTB sends "setwebhook", for one).
        method = self._methods().get(endpoint.lower())
        try:
            _check_limits(endpoint.lower(), params)
            if method is None:
                raise _BadRequest(f"method {endpoint} is not available offline")
            handler: Callable[[dict[str, Any]], Awaitable[Any]] = getattr(self, method)
            result = await handler(params)
        except _BadRequest as error:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            return 400, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def fail(
        self, endpoint: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        """Make the next call to `endpoint` fail as Telegram would (status TIMEOUT: no answer)."""
        self.faults[endpoint].append(Fault(status, description, retry_after))

    @classmethod
    @functools.cache
    def _methods(cls) -> dict[str, str]:
        """Bot API method name, lower case -> the attribute that answers it."""
        prefix = "_api_"
        return {name[len(prefix) :].lower(): name for name in dir(cls) if name.startswith(prefix)}

    # The phone side

    def person(
        self, user_id: int, first_name: str = "Test", language_code: str | None = "en"
    ) -> SimulatedPerson:
        return SimulatedPerson(self, user_id, first_name, language_code)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def deliver(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling)."""
        self._unconfirmed.append(update)
        self._event().set()

    def messages(self, chat_id: int) -> list[BotMessage]:
        return self.chats[chat_id]

    def _event(self) -> asyncio.Event:
        if self._arrived is None:
            self._arrived = asyncio.Event()
        return self._arrived

    # Bot API methods

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[str(params.get("language_code", ""))] = list(params["commands"])
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """As Telegram: an update stays until a later call's offset confirms it."""
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        limit = int(params.get("limit", 100) or 100)
        arrived = self._event()
        self._unconfirmed = [u for u in self._unconfirmed if u["update_id"] >= offset]
        if not self._unconfirmed:
            arrived.clear()
            try:  # not asyncio.wait_for, which on 3.11 may lose a cancel (a stopping poll)
                async with asyncio.timeout(max(timeout, 0.01)):
                    await arrived.wait()
            except TimeoutError:
                return []
        return self._unconfirmed[:limit]

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = BotMessage(
            next(self._ids), chat_id, str(params["text"]), params.get("reply_markup")
        )
        chat = self.chats[chat_id]
        chat.append(message)
        if len(chat) > self.history:
            del chat[: len(chat) - self.history]
        self._notify("sent", message)
        return message.as_dict()

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.text = str(params["text"])
        message.reply_markup = params.get("reply_markup")
        self._notify("edited", message)
        return message.as_dict()

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.reply_markup = params.get("reply_markup")
        self._notify("edited", message)
        return message.as_dict()

    def _find(self, params: dict[str, Any]) -> BotMessage:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        for message in reversed(self.chats[chat_id]):
            if message.message_id == message_id:
                return message
        raise _BadRequest("message to edit not found")

    def _notify(self, kind: str, message: BotMessage) -> None:
        for listener in self.listeners:
            listener(kind, message)


def _chat_id(params: dict[str, Any]) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class _BadRequest(Exception):
    """Answered as Telegram does: HTTP 400 with a description."""


def _check_limits(method: str, params: dict[str, Any]) -> None:
    """Telegram's own limits on what a call sends, refused with Telegram's descriptions.

    The bot uses no parse_mode, so a text's length after entities parsing is its length as
    given. A bot that passes offline must not be refused by Telegram for its sizes.
    """
    if method in _TEXT_METHODS:
        text = str(params.get("text", ""))
        if not text.strip():
            raise _BadRequest("message text is empty")
        if len(text) > MESSAGE_LIMIT:
            raise _BadRequest("message is too long")
    if len(str(params.get("caption", ""))) > CAPTION_LIMIT:
        raise _BadRequest("message caption is too long")
    if method == "answercallbackquery" and len(str(params.get("text", ""))) > ALERT_LIMIT:
        raise _BadRequest("MESSAGE_TOO_LONG")
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for button in (button for row in rows for button in row):
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
            raise _BadRequest("BUTTON_DATA_INVALID")
