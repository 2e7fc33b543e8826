"""The question before the flight: due 72 hours before, sent once, answered with a tap
(through the real PTB pipeline, in French and English), and the caseworker alerted when
the person changed their mind or said nothing for a day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import Runtime, build
from bot.casework import StatusChange
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.departures import Sweep
from bot.store import audit, cases, messages, reconfirmations
from bot.store.models import OutboxMessage
from tests.helpers import Clock, Phone, table_rows
from tests.travel_helpers import (
    FLIGHT,
    OFFICE,
    Reach,
    accepted_case,
    booked_case,
    casework,
    travel_of,
)

PERSON = 7401
# FLIGHT leaves on 5 December 2026 at 14:30 in Casablanca (UTC+1): 13:30 UTC.
ASK_AT = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
WORDS = {
    "en": {"question": "Are you still travelling?", "yes": "Yes, I am travelling",
           "no": "I have changed my mind", "talk": "I need to talk to someone",
           "confirmed": "Thank you for confirming", "changed": "Nobody will make you travel",
           "noted": "contact you before your flight", "outdated": "no longer open",
           "date": "December 5, 2026"},
    "fr": {"question": "Partez-vous toujours", "yes": "Oui, je pars",
           "no": "J'ai changé d'avis", "talk": "J'ai besoin de parler à quelqu'un",
           "confirmed": "Merci de votre confirmation", "changed": "Personne ne vous obligera",
           "noted": "vous contactera avant votre vol", "outdated": "n'est plus ouverte",
           "date": "5 décembre 2026"},
}  # fmt: skip


async def rows_of(bot: Runtime, case_id: int) -> list[reconfirmations.ReconfirmationRecord]:
    async with bot.store.unit() as unit:
        return await reconfirmations.of_case(unit, case_id)


async def flags_of(bot: Runtime, case_id: int) -> tuple[str, ...]:
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None
    return found.flags


async def alerts(bot: Runtime, case_id: int) -> list[Any]:
    async with bot.store.unit() as unit:
        trail = await audit.trail(unit, case_id)
    return [e.details["reason"] for e in trail if e.action == "departure.alert"]


def sweep(bot: Runtime) -> Sweep:
    assert bot.departures is not None
    return bot.departures


# When: the row and its due time


async def test_the_question_is_due_72_hours_before_the_flight_in_the_offices_time(
    bot: Runtime, clock: Clock
) -> None:
    case = await booked_case(bot, clock, PERSON)
    [row] = await rows_of(bot, case.id)
    assert row.status == "planned" and row.due_at == ASK_AT
    assert row.flight_at == datetime(2026, 12, 5, 13, 30, tzinfo=UTC)


async def test_a_question_that_would_come_at_night_waits_for_the_morning(
    bot: Runtime, clock: Clock
) -> None:
    case = await booked_case(bot, clock, PERSON, form=replace(FLIGHT, flight_time="06:10"))
    [row] = await rows_of(bot, case.id)
    assert row.due_at.astimezone(OFFICE) == datetime(2026, 12, 2, 8, 0, tzinfo=OFFICE)


async def test_a_flight_booked_less_than_72_hours_ahead_is_asked_about_at_once(
    bot: Runtime, clock: Clock
) -> None:
    soon = replace(FLIGHT, flight_date="2026-11-29", flight_time="16:00")
    case = await booked_case(bot, clock, PERSON, form=soon)
    [row] = await rows_of(bot, case.id)
    assert row.due_at == clock()


async def test_nothing_is_asked_before_the_journey_is_booked(bot: Runtime, clock: Clock) -> None:
    case = await booked_case(bot, clock, PERSON)
    other = await booked_case(bot, clock, PERSON + 1)
    async with bot.store.unit() as unit:
        await reconfirmations.cancel(unit, other.id, clock())
    await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    assert [r.status for r in await rows_of(bot, case.id)] == ["planned"]  # the same row


async def test_a_new_flight_time_cancels_the_open_question_and_plans_another(
    bot: Runtime, clock: Clock
) -> None:
    case = await booked_case(bot, clock, PERSON)
    later = replace(FLIGHT, flight_date="2026-12-09")
    await travel_of(bot, clock).save(case.reference, later, "amina")
    first, second = await rows_of(bot, case.id)
    assert first.status == "cancelled"
    assert second.status == "planned" and second.due_at == ASK_AT + timedelta(days=4)


@pytest.mark.parametrize("target", ["withdrawn", "departed"])
async def test_withdrawal_or_departure_cancels_the_question(
    bot: Runtime, clock: Clock, target: str
) -> None:
    case = await booked_case(bot, clock, PERSON)
    change = StatusChange(target, note="Changed plans", tell=False)
    await casework(bot, clock, Reach()).change_status(case.reference, change, "amina")
    assert [r.status for r in await rows_of(bot, case.id)] == ["cancelled"]
    clock.now = ASK_AT
    assert await sweep(bot).run_once() == {}


# The sweep: sent once, at its time, and the day without an answer


async def test_the_question_is_sent_once_at_its_time_even_after_a_restart(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")
    case = await booked_case(bot, clock, PERSON)
    clock.now = ASK_AT - timedelta(minutes=1)
    assert await sweep(bot).run_once() == {}
    clock.now = ASK_AT
    assert await sweep(bot).run_once() == {"asked": 1}
    assert await sweep(bot).run_once() == {}
    # Another process, or the same one started again, finds nothing more to send.
    assert bot.departures is not None
    again = Sweep(bot.store, bot.outbox, bot.outbox.flush, clock, OFFICE)
    assert await again.run_once() == {}
    [message] = phone.inbox
    assert WORDS["fr"]["question"] in message.text and case.reference in message.text
    assert "14:30" in message.text and WORDS["fr"]["date"] in message.text
    assert [b["text"] for b in message.buttons] == [
        WORDS["fr"]["yes"], WORDS["fr"]["no"], WORDS["fr"]["talk"]
    ]  # fmt: skip
    [row] = await rows_of(bot, case.id)
    assert row.status == "sent" and row.sent_at == ASK_AT
    assert await table_rows(bot, OutboxMessage) == []  # delivered, not waiting


async def test_a_question_telegram_did_not_take_waits_in_the_outbox(
    bot: Runtime, clock: Clock
) -> None:
    case = await booked_case(bot, clock, PERSON)  # nobody at this Telegram id: not delivered

    async def lost(chat_id: int, update_id: int | None) -> None:
        return None  # the process died before it could send

    clock.now = ASK_AT
    assert await Sweep(bot.store, bot.outbox, lost, clock, OFFICE).run_once() == {"asked": 1}
    [waiting] = await table_rows(bot, OutboxMessage)
    assert waiting["chat_id"] == PERSON and case.reference in waiting["text"]
    assert (await rows_of(bot, case.id))[0].status == "sent"


async def test_no_answer_within_a_day_alerts_the_caseworker(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    phone_factory(PERSON, "fr")
    case = await booked_case(bot, clock, PERSON)
    clock.now = ASK_AT
    await sweep(bot).run_once()
    clock.now = ASK_AT + timedelta(hours=23, minutes=59)
    assert await sweep(bot).run_once() == {}
    assert await alerts(bot, case.id) == []
    clock.now = ASK_AT + timedelta(hours=24)
    assert await sweep(bot).run_once() == {"unanswered": 1}
    assert "reconfirmation_missing" in await flags_of(bot, case.id)
    assert await alerts(bot, case.id) == ["no_answer"]
    assert [r.status for r in await rows_of(bot, case.id)] == ["no_answer"]
    clock.advance(days=1)
    assert await sweep(bot).run_once() == {}  # alerted once
    assert await alerts(bot, case.id) == ["no_answer"]


# The answers, tapped in the person's own chat


async def asked(bot: Runtime, clock: Clock, phone_factory: Any, language: str) -> tuple[Phone, int]:
    """The person's phone, once the question reached it, and their case's id."""
    phone: Phone = phone_factory(PERSON, language)
    case = await booked_case(bot, clock, PERSON, language)
    clock.now = ASK_AT
    await sweep(bot).run_once()
    clock.advance(hours=2)
    return phone, case.id


async def reference_of(bot: Runtime, case_id: int) -> str:
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None
    return found.reference


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_yes_i_am_travelling_is_recorded_and_thanked(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    words = WORDS[language]
    question = phone.last
    assert words["question"] in question.text
    reply = await phone.tap(words["yes"])
    assert words["confirmed"] in reply.text
    assert question.buttons == []  # the question's buttons go once it is answered
    [row] = await rows_of(bot, case_id)
    assert (row.status, row.answer, row.answered_at) == ("answered", "travelling", clock())
    assert await flags_of(bot, case_id) == ()
    assert await alerts(bot, case_id) == []


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_i_have_changed_my_mind_flags_the_case_red_and_alerts_the_caseworker(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    reply = await phone.tap(WORDS[language]["no"])
    assert WORDS[language]["changed"] in reply.text
    assert (await rows_of(bot, case_id))[0].answer == "changed_mind"
    assert "changed_mind" in await flags_of(bot, case_id)
    assert await alerts(bot, case_id) == ["changed_mind"]
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None and found.status == "travel_booked"  # the caseworker decides


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_i_need_to_talk_to_someone_asks_for_a_call(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    reply = await phone.tap(WORDS[language]["talk"])
    assert WORDS[language]["noted"] in reply.text
    assert (await rows_of(bot, case_id))[0].answer == "talk"
    assert await flags_of(bot, case_id) == ("wants_human",)
    assert await alerts(bot, case_id) == []


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_no_answer_alerts_then_a_late_yes_still_counts(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    clock.now = ASK_AT + timedelta(hours=24)
    assert await sweep(bot).run_once() == {"unanswered": 1}
    assert await flags_of(bot, case_id) == ("reconfirmation_missing",)
    assert len(phone.inbox) == 1  # the caseworker is alerted, the person not asked again
    clock.advance(hours=3)
    reply = await phone.tap(WORDS[language]["yes"])
    assert WORDS[language]["confirmed"] in reply.text
    assert (await rows_of(bot, case_id))[0].answer == "travelling"
    assert await flags_of(bot, case_id) == ()  # reconfirmed after all


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_second_tap_on_an_answered_question_changes_nothing(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    question = phone.last
    changed_mind = next(b["callback_data"] for b in question.buttons if "|n_" in b["callback_data"])
    await phone.tap(WORDS[language]["yes"])
    reply = await phone.send(phone.person.tap(data=changed_mind, message=question))
    assert WORDS[language]["outdated"] in reply.text
    assert (await rows_of(bot, case_id))[0].answer == "travelling"
    assert "changed_mind" not in await flags_of(bot, case_id)


async def test_a_tap_on_the_question_for_an_earlier_flight_changes_nothing(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, "en")
    old = phone.last
    later = replace(FLIGHT, flight_date="2026-12-12")
    await travel_of(bot, clock).save(await reference_of(bot, case_id), later, "amina")
    reply = await phone.send(phone.person.tap(WORDS["en"]["no"], message=old))
    assert WORDS["en"]["outdated"] in reply.text
    first, second = await rows_of(bot, case_id)
    assert (first.status, first.answer) == ("cancelled", None) and second.status == "planned"
    assert "changed_mind" not in await flags_of(bot, case_id)


@pytest.mark.parametrize(
    "data", ["!depart|n_{row}", "!depart|n_99999", "!depart|x_{row}", "!depart|n_"]
)
async def test_a_forged_or_someone_elses_tap_changes_nothing(
    bot: Runtime, clock: Clock, phone_factory: Any, data: str
) -> None:
    _, case_id = await asked(bot, clock, phone_factory, "en")
    [row] = await rows_of(bot, case_id)
    stranger: Phone = phone_factory(PERSON + 50, "en", "Moussa")
    await accepted_case(bot, clock, PERSON + 50, "en")  # a person of the office, too
    helped = await stranger.say("/help")  # a message of their own chat, with a button
    await stranger.send(stranger.person.tap(data=data.format(row=row.id), message=helped))
    assert WORDS["en"]["outdated"] in stranger.last.text
    [after] = await rows_of(bot, case_id)
    assert after == row
    assert "changed_mind" not in await flags_of(bot, case_id)


async def test_a_question_planned_before_a_restart_is_sent_by_the_bot_started_again(
    bot: Runtime, settings: Settings, api: OfflineBotAPI, clock: Clock, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(PERSON, "en")
    case = await booked_case(bot, clock, PERSON, "en")
    await bot.stop()
    again = await build(settings, offline=api, clock=clock)
    await again.start()
    try:
        jobs = again.application.job_queue
        assert jobs is not None and "reconfirmations" in {job.name for job in jobs.jobs()}
        clock.now = ASK_AT
        assert again.departures is not None
        assert await again.departures.run_once() == {"asked": 1}
    finally:
        await again.stop()
    assert case.reference in phone.last.text and WORDS["en"]["question"] in phone.last.text


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("fr", "oui", "travelling"),
        ("en", "Yes", "travelling"),
        ("fr", "j'ai change d'avis", "changed_mind"),
        ("en", "no", "changed_mind"),
        ("en", "I need to talk to someone", "talk"),
        ("fr", "J'ai besoin de parler à quelqu'un", "talk"),
    ],
)
async def test_a_typed_word_that_names_a_button_answers_the_question(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str, text: str, answer: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    reply = await phone.say(text)
    expected = {"travelling": "confirmed", "changed_mind": "changed", "talk": "noted"}[answer]
    assert WORDS[language][expected] in reply.text
    assert (await rows_of(bot, case_id))[0].answer == answer


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_other_words_while_the_question_waits_reach_the_caseworker_as_a_message(
    bot: Runtime, clock: Clock, phone_factory: Any, language: str
) -> None:
    phone, case_id = await asked(bot, clock, phone_factory, language)
    await phone.say("Ma mère est malade, je dois attendre")
    async with bot.store.unit() as unit:
        kept = [m.body for m in await messages.of_case(unit, case_id)]
    assert kept == ["Ma mère est malade, je dois attendre"]
    assert (await rows_of(bot, case_id))[0].status == "sent"


async def test_a_yes_with_no_question_waiting_is_a_message_as_before(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")
    case = await booked_case(bot, clock, PERSON)  # asked only on 2 December
    await phone.say("oui")
    async with bot.store.unit() as unit:
        kept = [m.body for m in await messages.of_case(unit, case.id)]
    assert kept == ["oui"] and (await rows_of(bot, case.id))[0].status == "planned"
