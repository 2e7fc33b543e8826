"""Private chats only: nothing from a group, a supergroup or a channel is answered, and a
tap on a message of another chat changes nothing and sends nothing there, even with
button data that is current in the person's own chat."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update

from bot.app import Runtime
from bot.chat.transport import OfflineBotAPI
from bot.lifecycle import running
from bot.store import tables
from tests.helpers import Phone, fast_forward, session_state

GROUPS = {
    "group": {"id": -4001, "type": "group", "title": "Families"},
    "supergroup": {"id": -1004002, "type": "supergroup", "title": "Rabat help"},
    "channel": {"id": -1004003, "type": "channel", "title": "News"},
}


def moved(update: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
    """The same update, as if it came from `chat` (a channel post has no sender)."""
    moved = copy.deepcopy(update)
    if "callback_query" in moved:
        moved["callback_query"]["message"]["chat"] = chat
    elif chat["type"] == "channel":
        body = moved.pop("message")
        body.pop("from")
        body["chat"] = chat
        moved["channel_post"] = body
    else:
        moved["message"]["chat"] = chat
    return moved


@pytest.mark.parametrize("kind", sorted(GROUPS))
async def test_updates_from_groups_and_channels_are_ignored(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any, kind: str
) -> None:
    phone: Phone = phone_factory(5101, "en")
    await fast_forward(bot, phone, "review")  # the review shows name, birth date, phone
    before = await session_state(bot)
    shown = len(phone.inbox)
    person = phone.person
    review = phone.last
    confirm = next(
        b["callback_data"] for b in review.buttons if b["callback_data"].endswith("confirm")
    )
    chat = GROUPS[kind]
    updates = [
        person.text("/start"),
        person.text("/mydata"),
        person.text("/delete"),
        person.text("/status"),
        person.text("hello"),
        person.contact("+212612345678"),
        person.sticker(),
        person.tap(data=confirm, message=review),  # current data: it would send the request
        person.tap(data="!delete|yes", message=review),
        person.tap(data="!lang|fr", message=review),
    ]
    calls = len(api.calls)
    async with running(bot):
        assert len(await bot.inbox.receive([moved(u, chat) for u in updates])) == len(updates)
        await until_handled(bot)
    made = api.calls[calls:]
    assert not [c for c in made if int(c[1].get("chat_id", 0) or 0) == chat["id"]]
    assert not [
        c for c in made if c[0] in ("sendMessage", "editMessageText", "answerCallbackQuery")
    ]
    assert len(phone.inbox) == shown
    assert await session_state(bot) == before  # nothing changed: still at the review


async def test_a_tap_on_another_persons_message_changes_nothing(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any
) -> None:
    """Forged: someone else's user id on the person's own message and chat."""
    phone: Phone = phone_factory(5102, "en")
    await fast_forward(bot, phone, "review")
    before = await session_state(bot)
    review = phone.last
    confirm = next(
        b["callback_data"] for b in review.buttons if b["callback_data"].endswith("confirm")
    )
    stranger = api.person(5103, "Eve", "en")
    tap = stranger.tap(data=confirm, message=review)  # the message is in 5102's chat
    calls = len(api.calls)
    await bot.application.process_update(Update.de_json(tap, bot.application.bot))
    assert api.calls[calls:] == []
    assert await session_state(bot) == before


async def until_handled(bot: Runtime) -> None:
    """Wait until the inbox holds no unhandled update."""
    query = select(func.count()).select_from(tables.inbox).where(tables.inbox.c.done_at.is_(None))
    async with asyncio.timeout(20):
        while True:
            async with bot.store.unit() as unit:
                if not (await unit.connection.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.05)
