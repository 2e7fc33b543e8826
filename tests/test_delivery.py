"""The inbox and the outbox in one process: updates stored before they are handled, each
chat's in order and once; replies stored with the transaction that decides them, sent,
then removed, and sent again after a failure."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from telegram import Update

from bot.app import Runtime
from bot.chat.transport import TIMEOUT, OfflineBotAPI
from bot.lifecycle import running
from bot.replies import Help, Reply, User
from bot.store import cases, tables
from tests.helpers import Clock, Phone, add_case, wait_for


async def handle(bot: Runtime, payload: dict[str, Any]) -> None:
    """An update handled at once, as the inbox would hand it over."""
    await bot.application.process_update(Update.de_json(payload, bot.application.bot))


async def count(bot: Runtime, table: Any, *where: Any) -> int:
    async with bot.store.unit() as unit:
        query = select(func.count()).select_from(table).where(*where)
        return int((await unit.connection.execute(query)).scalar_one())


async def test_an_update_received_twice_is_handled_once(bot: Runtime, api: OfflineBotAPI) -> None:
    person = api.person(601, "Awa", "en")
    start = person.text("/start")
    async with running(bot):
        assert await bot.inbox.receive([start]) == {start["update_id"]}
        assert await bot.inbox.receive([start]) == set()  # Telegram's retry, or a refetch
        await wait_for(lambda: len(person.inbox) == 1)
        await asyncio.sleep(0.3)
    assert [m.text for m in person.inbox] == ["Choose your language."]
    inbox = tables.inbox
    assert await count(bot, inbox, inbox.c.done_at.is_not(None), inbox.c.payload.is_(None)) == 1
    assert await count(bot, tables.outbox) == 0  # sent, then removed


async def test_each_chat_is_handled_in_order_while_chats_go_concurrently(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    """Updates stored in one batch, as one getUpdates returns them: every person's
    answers land on the right questions, in the order they were sent."""
    people = [api.person(700 + i, f"P{i}", "en") for i in range(20)]
    batch: list[dict[str, Any]] = []
    for person in people:
        batch.append(person.text("/start"))
    async with running(bot):
        await bot.inbox.receive(batch)
        await wait_for(lambda: all(len(p.inbox) == 1 for p in people))
        taps = [p.tap("English") for p in people]
        await bot.inbox.receive(taps)
        await wait_for(lambda: all(len(p.inbox) == 2 for p in people))
        # Two updates of one chat in one batch: the second waits for the first.
        second = [p.tap("I agree") for p in people]
        await bot.inbox.receive(second)
        await wait_for(lambda: all(len(p.inbox) >= 3 for p in people))
    for person in people:
        assert person.inbox[0].text.endswith("✅ English")
        assert "agree" in person.inbox[1].text.lower() or "✅" in person.inbox[1].text


async def test_updates_stored_before_a_crash_are_handled_first_at_start(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    """Claimed by this process's name, then the process died: the next start releases
    and handles them."""
    person = api.person(602, "Awa", "en")
    first = person.text("/start")
    await bot.inbox.receive([first])
    async with bot.store.unit() as unit:  # as if claimed by the run that died
        await unit.connection.execute(
            update(tables.inbox).values(
                claimed_by=bot.inbox.worker, claimed_until=clock() + timedelta(hours=1)
            )
        )
    async with running(bot):
        await wait_for(lambda: len(person.inbox) == 1)
    assert person.last.text == "Choose your language."


async def test_another_process_claim_holds_until_its_lease_lapses(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    person = api.person(603, "Awa", "en")
    await bot.inbox.receive([person.text("/start")])
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(tables.inbox).values(
                claimed_by="other-process", claimed_until=clock() + timedelta(minutes=2)
            )
        )
    async with running(bot):
        await asyncio.sleep(1.5)
        assert person.inbox == []  # the other process is on it
        clock.advance(minutes=3)
        await wait_for(lambda: len(person.inbox) == 1)


async def test_handled_updates_keep_only_their_id_and_go_after_a_day(
    bot: Runtime, phone_factory: Any, clock: Clock
) -> None:
    phone: Phone = phone_factory(604, "en")
    start = phone.person.text("/start")
    async with running(bot):
        await bot.inbox.receive([start])
        await wait_for(lambda: len(phone.inbox) == 1)
        await asyncio.sleep(0.2)
    async with bot.store.unit() as unit:
        row = (await unit.connection.execute(select(tables.inbox))).one()
    assert (row.update_id, row.chat_id, row.payload) == (start["update_id"], None, None)
    clock.advance(hours=23)
    assert await bot.inbox.prune() == 0
    clock.advance(hours=2)
    assert await bot.inbox.prune() == 1
    assert await count(bot, tables.inbox) == 0


async def test_a_reply_that_could_not_be_sent_waits_and_goes_later_in_order(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any, clock: Clock
) -> None:
    phone: Phone = phone_factory(605, "en")
    api.fail("sendMessage", TIMEOUT, "timed out")
    await handle(bot, phone.person.text("/start"))  # the language question: stored, not sent
    assert phone.inbox == []
    assert await count(bot, tables.outbox) == 1
    await handle(bot, phone.person.text("/help"))  # behind the first: it waits too, in order
    assert phone.inbox == []
    assert await bot.outbox.send_waiting(timedelta(0)) == 0  # backing off
    clock.advance(minutes=1)
    assert await bot.outbox.send_waiting(timedelta(seconds=5)) == 1
    assert phone.inbox[0].text == "Choose your language."
    assert len(phone.inbox) >= 2 and phone.inbox[-1].text == "Choose your language."
    assert await count(bot, tables.outbox) == 0


async def test_a_refused_message_is_dropped_and_the_next_still_goes(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(606, "en")
    await phone.say("/start")
    await phone.tap("English")
    api.fail("sendMessage", 400, "Bad Request: something")
    await phone.say("/help")  # help (refused), then the current question again
    texts = [m.text for m in phone.inbox]
    assert texts[-2].startswith("OIM Rabat can help you return home")  # the question came
    assert texts[-1].startswith("Sorry, something went wrong")  # and a word for the lost one
    assert await count(bot, tables.outbox) == 0


async def test_a_refusal_because_the_person_blocked_the_bot_pauses_their_messages(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any
) -> None:
    """Telegram said 403 before its block update came: nothing more is tried, and nothing
    is lost; the person's next message brings them back, and what waited goes first."""
    phone: Phone = phone_factory(607, "en")
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await handle(bot, phone.person.text("/start"))
    assert phone.inbox == []
    assert await count(bot, tables.outbox) == 1  # the language question waits
    assert await count(bot, tables.people, tables.people.c.unreachable_at.is_not(None)) == 1
    assert await bot.outbox.send_waiting(timedelta(0)) == 0  # paused: not even tried
    await handle(bot, phone.person.text("/start"))
    assert await count(bot, tables.outbox) == 0
    assert [m.text for m in phone.inbox] == ["Choose your language.", "Choose your language."]


async def test_a_refusal_in_a_chat_of_nobody_kept_drops_its_messages(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    async with bot.store.unit() as unit:
        await bot.outbox.keep(unit, User(609), Reply("en", [Help()]), bot.service.clock())
    assert not (await bot.outbox.flush(609)).sent
    assert await count(bot, tables.outbox) == 0  # nobody to wait for


async def test_messages_left_by_a_crash_are_sent_at_start(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    """Committed, never sent (the process died): the next start sends them."""
    person = api.person(608, "Awa", "en")
    api.fail("sendMessage", TIMEOUT, "timed out")
    await bot.inbox.receive([person.text("/start")])
    async with running(bot):
        await wait_for(lambda: any(c[0] == "sendMessage" for c in api.calls))
        await asyncio.sleep(0.3)
    assert person.inbox == []
    async with bot.store.unit() as unit:  # as if the process had died mid-send
        await unit.connection.execute(
            update(tables.outbox).values(
                claimed_by=bot.outbox.worker,
                claimed_until=clock() + timedelta(hours=1),
                attempts=0,
            )
        )
    async with running(bot):
        await wait_for(lambda: len(person.inbox) == 1)
    assert person.last.text == "Choose your language."


async def test_questions_asked_again_are_kept_with_the_correction(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    """ "Needs info": the first question is stored in the transaction that opens the
    correction, so a crash before the send cannot leave the person answering blind."""
    reference = await add_case(bot, 610, full_name="Awa Diallo")
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    user = await bot.service.open_correction(case.id, ["full_name"])
    assert user is not None and user.telegram_id == 610
    assert await count(bot, tables.outbox) == 1  # committed with the session, not sent yet
    assert api.messages(610) == []
    assert (await bot.outbox.flush(610)).sent
    assert len(api.messages(610)) == 1  # the first question asked again
    assert await count(bot, tables.outbox) == 0


async def test_a_stop_that_comes_as_an_update_arrives_is_not_lost(bot: Runtime) -> None:
    """The handling loop is told to stop just as it is woken for a new update: it stops.
    (asyncio.wait_for on Python 3.11 lost such a cancel, and a stopping process hung.)"""
    handling = asyncio.create_task(bot.inbox.handle())
    await asyncio.sleep(0.5)  # idle: waiting to be woken
    bot.inbox._wake.set()
    handling.cancel()
    await asyncio.wait({handling}, timeout=5)
    assert handling.cancelled()


async def test_a_stop_that_comes_as_telegram_answers_getupdates_is_not_lost(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    """The same for the poll: the offline Bot API's long poll must let a stop through."""
    polling = asyncio.create_task(bot.inbox.poll(5, ["message"]))
    await asyncio.sleep(0.2)  # long polling
    api.deliver(api.person(4321, "Awa", "en").text("hello"))  # an update arrives...
    polling.cancel()  # ...as the process stops
    await asyncio.wait({polling}, timeout=5)
    assert polling.cancelled()
