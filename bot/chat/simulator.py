"""Simulated phones for the dashboard's /simulator page.

Each phone is a `SimulatedPerson` on the in-process Bot API: what its owner sends becomes a
Telegram update queued for getUpdates, so the bot answers through its real PTB pipeline.
A phone keeps what its screen shows (the bot's messages, edits included, and the person's
own) and a version number that grows with every change, for the page to wait on.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from bot.chat.phone import BotMessage, SimulatedPerson
from bot.chat.transport import OfflineBotAPI

Kind = Literal["text", "contact", "photo", "sticker", "location", "voice"]
KINDS: frozenset[str] = frozenset(get_args(Kind))
MAX_PHONES = 50
SCREEN = 200  # bubbles a phone keeps, as a real one scrolls old ones away


@dataclass
class Bubble:
    """One message on the screen: the bot's (live, so edits show) or the person's."""

    bot: BotMessage | None = None
    kind: Kind = "text"
    text: str = ""

    def view(self) -> dict[str, Any]:
        if self.bot is None:
            return {"from": "person", "kind": self.kind, "text": self.text}
        message = self.bot
        return {
            "from": "bot",
            "id": message.message_id,
            "text": message.text,
            "buttons": [
                [{"text": b["text"], "data": b.get("callback_data", "")} for b in row]
                for row in (message.reply_markup or {}).get("inline_keyboard", [])
            ],
        }


@dataclass
class Phone:
    person: SimulatedPerson
    number: str
    screen: list[Bubble] = field(default_factory=list)
    keyboard: list[str] = field(default_factory=list)  # the reply keyboard shown, if any
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        """Something changed: wake whoever waits, and make a fresh event for the next wait."""
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def view(self) -> dict[str, Any]:
        return {
            "id": self.person.user_id,
            "name": self.person.first_name,
            "language": self.person.language_code,
            "version": self.version,
            "messages": [bubble.view() for bubble in self.screen],
            "keyboard": self.keyboard,
        }


class Phones:
    """The simulated people of one running bot, and what their phones show."""

    def __init__(self, api: OfflineBotAPI) -> None:
        self.api = api
        self.phones: dict[int, Phone] = {}
        self.closed = False
        api.listeners.append(self._on_bot_message)

    def add(self, name: str, language: str | None) -> Phone:
        """A new simulated person, with an id no real Telegram account uses offline."""
        if len(self.phones) >= MAX_PHONES:  # forget the oldest, as a trainer would
            del self.phones[next(iter(self.phones))]
        user_id = 7_000_000_000 + secrets.randbelow(1_000_000_000)
        # A Moroccan mobile for contact sharing, in a range the phone checks know to exist:
        # about 3 in 100 numbers of the whole +212 6 range (e.g. +212 683) are refused.
        number = f"+21266{secrets.randbelow(10**7):07d}"
        phone = Phone(self.api.person(user_id, name, language), number)
        self.phones[user_id] = phone
        return phone

    def get(self, user_id: int) -> Phone | None:
        return self.phones.get(user_id)

    def send(self, phone: Phone, kind: Kind, text: str = "") -> None:
        """The person sends a message: text, their contact, or a photo, sticker, ..."""
        person = phone.person
        if kind == "text":
            update = person.text(text)
            shown = text
        elif kind == "contact":
            update, shown = person.contact(phone.number), phone.number
            phone.keyboard = []  # a one-time keyboard closes once used
        else:
            update, shown = getattr(person, kind)(), ""
        self._show(phone, Bubble(kind=kind, text=shown))
        self.api.deliver(update)

    def tap(self, phone: Phone, message_id: int, data: str) -> bool:
        """The person taps an inline button; False if that message or button is not there."""
        for bubble in phone.screen:
            message = bubble.bot
            if message is not None and message.message_id == message_id:
                if not any(b.get("callback_data") == data for b in message.buttons):
                    return False
                self.api.deliver(phone.person.tap(data=data, message=message))
                return True
        return False

    async def wait(self, phone: Phone, since: int) -> None:
        """Until the phone shows something newer than version `since` (callers time it out),
        or the bot stops."""
        if phone.version <= since and not self.closed:
            await phone.changed.wait()

    def close(self) -> None:
        """The bot is stopping: wake every page waiting for news, so that the dashboard's
        server finds no request open, and wait no more."""
        self.closed = True
        for phone in self.phones.values():
            phone.changed.set()

    def _on_bot_message(self, kind: str, message: BotMessage) -> None:
        phone = self.phones.get(message.chat_id)
        if phone is None:
            return
        markup = message.reply_markup or {}
        if "keyboard" in markup:
            phone.keyboard = [b["text"] for row in markup["keyboard"] for b in row]
        elif markup.get("remove_keyboard"):
            phone.keyboard = []
        if kind == "sent":
            self._show(phone, Bubble(bot=message))
        else:
            phone.touch()

    def _show(self, phone: Phone, bubble: Bubble) -> None:
        phone.screen.append(bubble)
        del phone.screen[:-SCREEN]
        phone.touch()
