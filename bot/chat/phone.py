"""The phone side of the in-process Bot API: a person's Telegram client, which builds the
updates it would send, and the bot's messages as that phone shows them."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.chat.transport import OfflineBotAPI

BOT_USER = {
    "id": 100000001,
    "is_bot": True,
    "first_name": "Intake assistant",
    "username": "intake_offline_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class BotMessage:
    """A message the bot sent, as the person's phone shows it now."""

    message_id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row flattened."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def keyboard(self) -> list[dict[str, Any]]:
        """Reply-keyboard buttons (such as 'share my phone number')."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("keyboard", []) for b in row]

    def as_dict(self) -> dict[str, Any]:
        result = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": BOT_USER,
            "text": self.text,
        }
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            result["reply_markup"] = self.reply_markup
        return result


@dataclass
class SimulatedPerson:
    """A Telegram user on a phone: builds updates as their client would."""

    api: OfflineBotAPI
    user_id: int
    first_name: str
    language_code: str | None
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def inbox(self) -> list[BotMessage]:
        return self.api.messages(self.user_id)

    @property
    def last(self) -> BotMessage:
        return self.inbox[-1]

    def text(self, text: str) -> dict[str, Any]:
        return self._message({"text": text, **_entities(text)})

    def contact(self, phone: str) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": self.first_name, "user_id": self.user_id}
        return self._message({"contact": contact})

    def sticker(self) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._message({"sticker": sticker})

    def photo(self) -> dict[str, Any]:
        size = {"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}
        return self._message({"photo": [size]})

    def voice(self) -> dict[str, Any]:
        return self._message({"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3}})

    def location(self) -> dict[str, Any]:
        return self._message({"location": {"latitude": 34.02, "longitude": -6.84}})

    def block(self) -> dict[str, Any]:
        """Block the bot: Telegram refuses its messages from now on, and tells it so."""
        self.api.blocked.add(self.user_id)
        return self._membership("member", "kicked")

    def unblock(self) -> dict[str, Any]:
        """Unblock the bot (or tap "Restart"): it may write again, and is told so."""
        self.api.blocked.discard(self.user_id)
        return self._membership("kicked", "member")

    def _membership(self, old: str, new: str) -> dict[str, Any]:
        """The my_chat_member update of the bot's status in this private chat changing."""
        now = int(time.time())
        bot = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
        kicked = {"until_date": 0}
        change = {
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self.user,
            "date": now,
            "old_chat_member": {"user": bot, "status": old, **(kicked if old == "kicked" else {})},
            "new_chat_member": {"user": bot, "status": new, **(kicked if new == "kicked" else {})},
        }
        return {"update_id": self.api.next_update_id(), "my_chat_member": change}

    def edit(self, message_id: int, text: str) -> dict[str, Any]:
        message = self._message_body({"text": text}, message_id)
        message["edit_date"] = int(time.time())
        return {"update_id": self.api.next_update_id(), "edited_message": message}

    def tap(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message: BotMessage | None = None,
    ) -> dict[str, Any]:
        """Tap the inline button whose text contains `label` (or whose data is `data`)."""
        target = message or self._with_button(label, data)
        if data is None:
            button = next(b for b in target.buttons if label and label in b["text"])
            data = button["callback_data"]
        query = {
            "id": str(self.api.next_update_id()),
            "from": self.user,
            "chat_instance": str(self.user_id),
            "message": target.as_dict(),
            "data": data,
        }
        return {"update_id": self.api.next_update_id(), "callback_query": query}

    def _with_button(self, label: str | None, data: str | None) -> BotMessage:
        for message in reversed(self.inbox):
            for button in message.buttons:
                if (label is not None and label in button["text"]) or button.get(
                    "callback_data"
                ) == data:
                    return message
        shown = [b["text"] for m in self.inbox[-3:] for b in m.buttons]
        raise LookupError(f"no button {label or data!r}; recent buttons: {shown}")

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": self.api.next_update_id(), "message": self._message_body(body)}

    def _message_body(self, body: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        return {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self.user,
            **body,
        }


def _entities(text: str) -> dict[str, Any]:
    """A leading /command carries a bot_command entity, as Telegram clients send it."""
    if not text.startswith("/"):
        return {}
    length = len(text.split()[0])
    return {"entities": [{"type": "bot_command", "offset": 0, "length": length}]}
