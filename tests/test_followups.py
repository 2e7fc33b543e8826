"""Check-ins after return, end to end on a real database and the real PTB pipeline:
planning, sending, answers, reminders, cancellation, faults."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Runtime, build
from bot.chat.transport import TIMEOUT, OfflineBotAPI
from bot.config import ROOT, Settings
from bot.conversations.followup_parser import CHECKIN_KINDS
from bot.followups.service import schedule_case
from bot.store import cases, checkins, messages, people, sessions
from bot.store.models import Followup, Person
from tests.helpers import (
    Clock,
    Phone,
    add_account,
    add_case,
    counselled,
    returned_case,
    session_state,
    sign_in,
    table_rows,
    token,
)


async def planned_checkins(bot: Runtime, case_id: int) -> dict[str, checkins.FollowupRecord]:
    async with bot.store.unit() as unit:
        return {r.checkin: r for r in await checkins.for_case(unit, case_id)}


async def case_flags(bot: Runtime, case_id: int) -> set[str]:
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None
    return set(found.flags)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def test_a_returned_case_gets_its_check_ins_planned(bot: Runtime) -> None:
    case_id = await returned_case(bot, 71, country="CM")
    planned = await planned_checkins(bot, case_id)
    assert set(planned) == {"day_7", "month_1", "month_3", "month_6", "month_12"}
    assert {r.status for r in planned.values()} == {"planned"}
    assert planned["day_7"].due_at == at(27, 9)  # 10:00 in Douala
    assert planned["month_12"].due_at == datetime(2027, 11, 20, 9, tzinfo=UTC)


async def test_no_consent_no_check_ins(bot: Runtime) -> None:
    case_id = await returned_case(bot, 72, consent=False)
    assert await planned_checkins(bot, case_id) == {}


async def test_a_new_return_date_moves_what_is_not_sent_yet(bot: Runtime, clock: Clock) -> None:
    case_id = await returned_case(bot, 73)
    async with bot.store.unit() as unit:
        await checkins.update_row(unit, (await planned_checkins(bot, case_id))["day_7"].id, clock(),
                              status="answered")  # fmt: skip
        await checkins.set_return(unit, case_id, date(2026, 11, 23), None, clock())
        await schedule_case(unit, case_id, bot.followups, clock())
    moved = await planned_checkins(bot, case_id)
    assert moved["day_7"].status == "answered" and moved["day_7"].due_at == at(27, 10)
    assert moved["month_1"].due_at == at(23, 10) + timedelta(days=30)  # 23 December


async def test_a_return_date_entered_late_skips_check_ins_whose_time_passed(
    bot: Runtime, clock: Clock
) -> None:
    case_id = await returned_case(bot, 74, return_date=date(2026, 9, 1))
    planned = await planned_checkins(bot, case_id)
    assert "day_7" not in planned and "month_1" not in planned  # 8 Sept, 1 Oct: long gone
    assert planned["month_3"].due_at == datetime(2026, 12, 1, 10, tzinfo=UTC)


async def test_closing_the_case_cancels_what_is_left(bot: Runtime, clock: Clock) -> None:
    case_id = await returned_case(bot, 75)
    async with bot.store.unit() as unit:
        case = await cases.by_id(unit, case_id)
        assert case is not None
        await cases.change_status(unit, case, "closed", "amina", "", None, clock())
        await schedule_case(unit, case_id, bot.followups, clock())
    planned = await planned_checkins(bot, case_id)
    assert {(r.status, r.reason) for r in planned.values()} == {("cancelled", "closed")}


async def test_stop_cancels_every_check_in_not_sent(bot: Runtime, phone_factory: Any) -> None:
    case_id = await returned_case(bot, 76)
    phone = phone_factory(76)
    await phone.say("/stop")
    planned = await planned_checkins(bot, case_id)
    assert {(r.status, r.reason) for r in planned.values()} == {("cancelled", "stopped")}
    assert "no_followup_consent" in await case_flags(bot, case_id)


async def test_delete_erases_the_check_ins_with_everything_else(
    bot: Runtime, phone_factory: Any
) -> None:
    await returned_case(bot, 77)
    phone = phone_factory(77)
    await phone.say("/delete")
    await phone.choose("yes")
    assert await table_rows(bot, Followup) == []


async def test_a_check_in_goes_out_at_ten_local_and_its_answers_reach_the_case(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, phone_factory: Any
) -> None:
    case_id = await returned_case(bot, 78)
    clock.now = at(27, 9, 59)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # not yet
    clock.now = at(27, 10)
    report = await bot.dispatcher.run_once()
    assert report.outcomes == {"sent": 1}
    phone: Phone = phone_factory(78)
    fr = bot.catalogs.translator("fr")
    assert phone.last.text == fr.gettext(
        "Hello, this is {office}. You returned home a week ago, and we would like to know "
        "how you are. Did you arrive safely?",
        office="OIM Rabat",
    )
    assert (await planned_checkins(bot, case_id))["day_7"].status == "sent"
    for value in ("yes", "no", "family", "partly", "safety"):
        await phone.choose(value)
    done = await phone.choose("4")
    assert "OIM Rabat" in done.text and "+212 537 00 00 00" in done.text  # urgent: who to call
    answered = (await planned_checkins(bot, case_id))["day_7"]
    assert answered.status == "answered"
    assert answered.flags == ["unsafe", "not_met_on_arrival"]  # in the file's order
    assert answered.answers == {
        "arrived_safely": True,
        "met_on_arrival": False,
        "staying": "family",
        "grant_received": "partly",
        "urgent": "safety",
        "satisfaction": 4,
    }
    assert {"unsafe", "not_met_on_arrival"} <= await case_flags(bot, case_id)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # answered: nothing more
    await phone.say("/start")  # the conversation is over: back to the request
    assert "AVR-" in phone.last.text


async def test_no_answer_gets_one_reminder_then_the_no_reply_flag(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, phone_factory: Any
) -> None:
    case_id = await returned_case(bot, 79)
    clock.now = at(27, 10)
    await bot.dispatcher.run_once()
    phone: Phone = phone_factory(79)
    await phone.choose("yes")  # one answer, then silence
    clock.advance(hours=48)
    assert (await bot.dispatcher.run_once()).outcomes == {"reminded": 1}
    fr = bot.catalogs.translator("fr")
    assert phone.last.text.startswith(fr.gettext(
        "A reminder: {office} would like to know how you are since your return. Your answers "
        "help us support you. To stop these messages, send /stop.", office="OIM Rabat"
    ))  # fmt: skip
    assert "accueilli" in phone.last.text  # the question where the person stopped
    clock.advance(hours=48)
    assert (await bot.dispatcher.run_once()).outcomes == {"no_reply": 1}
    row = (await planned_checkins(bot, case_id))["day_7"]
    assert row.status == "no_reply" and row.answers == {"arrived_safely": True}
    assert "no_reply" in await case_flags(bot, case_id)
    assert len(phone.inbox) == 3  # the check-in, the edit of the answer aside, one reminder


async def test_nothing_is_sent_at_night_there(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    case_id = await returned_case(bot, 80, country="CM")
    clock.now = at(27, 21, 30)  # the server was down all day; 22:30 in Douala
    assert (await bot.dispatcher.run_once()).outcomes == {"waiting_for_morning": 1}
    assert api.messages(80) == []
    assert (await planned_checkins(bot, case_id))["day_7"].due_at == at(28, 7)  # 08:00 in Douala
    clock.now = at(28, 7)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}


async def test_a_check_in_waits_for_another_conversation_to_end(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    case_id = await returned_case(bot, 81)
    phone: Phone = phone_factory(81)
    async with bot.store.unit() as unit:  # a caseworker's "needs info" questions are open
        person = await people.find(unit, 81)
        assert person is not None
        await sessions.add(unit, person.id, "intake", {"status": "active", "key": "phone",
                                                      "revision": 3}, clock())  # fmt: skip
    clock.now = at(27, 10)
    assert (await bot.dispatcher.run_once()).outcomes == {"busy": 1}
    assert (await planned_checkins(bot, case_id))["day_7"].due_at == at(27, 11)
    clock.now = at(28, 10)  # a day later, still busy: give up, and say so on the case
    assert (await bot.dispatcher.run_once()).outcomes == {"failed": 1}
    row = (await planned_checkins(bot, case_id))["day_7"]
    assert (row.status, row.reason) == ("failed", "busy")
    assert "followup_failed" in await case_flags(bot, case_id)
    assert phone.inbox == []


async def test_telegram_429_makes_the_dispatcher_wait_as_told(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    first, second = await returned_case(bot, 82), await returned_case(bot, 83)
    clock.now = at(27, 10)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    report = await bot.dispatcher.run_once()
    assert report.outcomes == {"rate_limited": 1}
    states = [(await planned_checkins(bot, c))["day_7"] for c in (first, second)]
    assert [(s.status, s.due_at) for s in states] == [
        ("planned", at(27, 10, 0) + timedelta(seconds=30))
    ] * 2
    assert states[0].attempts == 0  # Telegram's limit is not the check-in's fault
    clock.advance(seconds=10)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # still waiting
    clock.advance(seconds=20)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 2}


async def test_a_stopping_dispatcher_finishes_the_row_in_hand_and_leaves_the_rest_due(
    bot: Runtime, settings: Settings, api: OfflineBotAPI, clock: Clock
) -> None:
    cases = [await returned_case(bot, telegram_id) for telegram_id in (87, 88, 89)]
    clock.now = at(27, 10)
    api.listeners.append(lambda kind, message: bot.dispatcher.stop())  # stop after one send
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    states = [(await planned_checkins(bot, c))["day_7"] for c in cases]
    assert sorted((s.status, s.due_at) for s in states) == [
        ("planned", at(27, 10)),  # due still, and free for the next process to claim
        ("planned", at(27, 10)),
        ("sent", at(27, 10) + timedelta(hours=48)),  # its reminder's time
    ]
    assert (await bot.dispatcher.run_once()).outcomes == {}  # no new run once stopping
    following = await build(settings, offline=api, clock=clock, migrate=False)  # a restart
    assert (await following.dispatcher.run_once()).outcomes == {"sent": 2}
    await following.stop()


@pytest.mark.parametrize("status", [500, TIMEOUT])
async def test_server_errors_and_timeouts_retry_with_backoff_then_fail(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, status: int
) -> None:
    case_id = await returned_case(bot, 84)
    clock.now = at(27, 10)
    for _ in range(5):
        api.fail("sendMessage", status, "Internal Server Error")
    delays = []
    for _ in range(4):
        assert (await bot.dispatcher.run_once()).outcomes == {"retry": 1}
        row = (await planned_checkins(bot, case_id))["day_7"]
        delays.append((row.due_at - clock()).total_seconds())
        clock.now = row.due_at
    assert delays == [60, 120, 240, 480]  # doubled each time
    assert (await bot.dispatcher.run_once()).outcomes == {"failed": 1}
    row = (await planned_checkins(bot, case_id))["day_7"]
    assert (row.status, row.reason, row.attempts) == ("failed", "network", 5)
    assert "followup_failed" in await case_flags(bot, case_id)
    assert api.messages(84) == []


async def test_a_retry_that_succeeds_sends_once(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    case_id = await returned_case(bot, 85)
    clock.now = at(27, 10)
    api.fail("sendMessage", 502, "Bad Gateway")
    assert (await bot.dispatcher.run_once()).outcomes == {"retry": 1}
    clock.advance(minutes=1)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    assert len(api.messages(85)) == 1
    assert (await planned_checkins(bot, case_id))["day_7"].status == "sent"


async def test_a_person_who_blocked_the_bot_gets_nothing_more_until_they_come_back(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    case_id = await returned_case(bot, 86)
    clock.now = at(27, 10)
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert (await bot.dispatcher.run_once()).outcomes == {"blocked": 1}
    planned = await planned_checkins(bot, case_id)
    # Paused, not lost: they wait, planned, for the person to come back.
    assert {r.status for r in planned.values()} == {"planned"}
    assert "unreachable" in await case_flags(bot, case_id)
    [person] = [p for p in await table_rows(bot, Person) if p["telegram_id"] == 86]
    assert person["unreachable_at"] == at(27, 10)
    clock.now = at(27, 11)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # nothing more is tried
    assert len([c for c in api.calls if c[0] == "sendMessage"]) == 1
    async with bot.store.unit() as unit:  # a new return date sends nothing to them either
        await schedule_case(unit, case_id, bot.followups, clock())
    assert (await bot.dispatcher.run_once()).outcomes == {}


async def test_two_dispatchers_working_the_same_rows_send_each_once(
    bot: Runtime, settings: Settings, api: OfflineBotAPI, clock: Clock
) -> None:
    """Two dispatchers (two stores, two connection pools, as two processes would have)
    claim from the same due rows at once; on PostgreSQL with FOR UPDATE SKIP LOCKED."""
    other = await build(settings, offline=api, clock=clock, migrate=False)
    telegram_ids = range(5000, 5120)
    for telegram_id in telegram_ids:
        await returned_case(bot, telegram_id)
    clock.now = at(27, 10)
    api.latency = 0.001  # each send yields, so the two dispatchers interleave
    bot.dispatcher.batch = other.dispatcher.batch = 10
    first, second = await asyncio.gather(bot.dispatcher.run_once(), other.dispatcher.run_once())
    await other.stop()
    assert first.outcomes["sent"] + second.outcomes["sent"] == len(telegram_ids)
    assert first.outcomes["sent"] > 0 and second.outcomes["sent"] > 0  # both did work
    assert {len(api.messages(t)) for t in telegram_ids} == {1}  # each person: one message


async def test_the_dashboard_plans_check_ins_and_shows_their_answers(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, phone_factory: Any
) -> None:
    reference = await add_case(bot, 90, destination_country="CD", followup_consent=True)
    await counselled(bot, reference)
    await add_account(bot)
    transport = httpx.ASGITransport(app=bot.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client)
        for status in ("in_review", "accepted", "travel_booked", "departed", "returned"):
            page = await client.get(f"/cases/{reference}")
            if status == "travel_booked":  # a booking needs its flight
                flight = {"csrf_token": token(page), "flight_date": "2026-12-20",
                          "flight_time": "14:30"}  # fmt: skip
                response = await client.post(f"/cases/{reference}/travel", data=flight)
                assert response.status_code == 303, response.text
            data = {"csrf_token": token(page), "status": status, "notify": "no"}
            if status == "returned":
                data["return_date"] = "2026-11-20"
            response = await client.post(f"/cases/{reference}/status", data=data)
            assert response.status_code == 303, response.text
        page = await client.get(f"/cases/{reference}")
        assert "Check-ins after return" in page.text
        assert "When (local time, Africa/Kinshasa)" in page.text
        assert "2026-11-27 10:00" in page.text and "Planned" in page.text
        # The family went east: Lubumbashi, an hour ahead. The check-ins follow.
        response = await client.post(
            f"/cases/{reference}/return",
            data={"csrf_token": token(page), "return_date": "2026-11-20",
                  "time_zone": "Africa/Lubumbashi"},
        )  # fmt: skip
        assert response.status_code == 303
        bad = await client.post(
            f"/cases/{reference}/return",
            data={"csrf_token": token(page), "return_date": "2026-11-20", "time_zone": "Mars/Base"},
        )
        assert bad.status_code == 400 and "Unknown time zone." in bad.text
        async with bot.store.unit() as unit:
            case = await cases.by_reference(unit, reference)
        assert case is not None
        assert (await planned_checkins(bot, case.id))["day_7"].due_at == at(27, 8)

        clock.now = at(27, 8)
        assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
        phone: Phone = phone_factory(90)
        for value in ("yes", "yes", "own_place", "yes", "health", "2"):
            await phone.choose(value)
        shown = (await client.get(f"/cases/{reference}")).text
        assert "Answered" in shown and "Urgent health problem" in shown
        assert "A health problem" in shown and "In my own or a rented home" in shown
        queue = (await client.get("/?priority=1")).text
        assert '<span class="flag flag-red">Urgent health problem</span>' in queue


async def in_a_check_in(
    bot: Runtime, clock: Clock, phone_factory: Any, telegram_id: int
) -> tuple[int, Phone]:
    """A returned case whose first check-in went out and got its first answer."""
    case_id = await returned_case(bot, telegram_id)
    clock.now = at(27, 10)
    await bot.dispatcher.run_once()
    phone: Phone = phone_factory(telegram_id)
    await phone.choose("yes")
    return case_id, phone


async def test_stop_in_the_middle_of_a_check_in_ends_it(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    case_id, phone = await in_a_check_in(bot, clock, phone_factory, 91)
    await phone.say("/stop")
    planned = await planned_checkins(bot, case_id)
    assert {(r.status, r.reason) for r in planned.values()} == {("cancelled", "stopped")}
    clock.advance(hours=49)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # no reminder
    await phone.say("/start")
    assert "AVR-" in phone.last.text  # back to the request, not the check-in


async def test_cancel_in_the_middle_of_a_check_in_ends_that_one_only(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    case_id, phone = await in_a_check_in(bot, clock, phone_factory, 92)
    confirm = await phone.say("/cancel")  # the person writes in French
    assert confirm.text.startswith("Arrêter de répondre à ces questions\u00a0?")
    assert "Votre demande n'est pas touchée." in confirm.text
    done = await phone.tap("Oui, arrêter")
    assert done.text.startswith("C'est noté\u00a0: ces questions sont closes.")
    planned = await planned_checkins(bot, case_id)
    assert (planned["day_7"].status, planned["day_7"].reason) == ("cancelled", "person")
    assert planned["day_7"].answers in (None, {})
    assert {r.status for name, r in planned.items() if name != "day_7"} == {"planned"}
    clock.advance(hours=49)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # no reminder for it
    await phone.say("/start")
    assert "AVR-" in phone.last.text  # the request is still there


EVERY_KIND = """\
flow: followup
version: "1"
schedule: {send_hour: 10}
checkins:
  - id: day_7
    label: "7 days after return"
    after: {days: 7}
    steps:
      - {id: safe, kind: yesno, prompt: "Did you arrive safely?", label: "Arrived safely"}
      - {id: thanks, kind: info, prompt: "Thank you. A few more questions."}
      - id: staying
        kind: choice
        prompt: "Where are you staying?"
        options: [{value: family, label: "With my family"}, {value: other, label: "Elsewhere"}]
      - id: needs
        kind: multi
        prompt: "What do you need?"
        options: [{value: food, label: "Food"}, {value: work, label: "Work"}]
      - {id: town, kind: text, min: 2, max: 50, prompt: "In which town are you?"}
      - {id: people, kind: number, min: 0, max: 9, prompt: "How many people live with you?"}
      - {id: back_on, kind: date, not_future: true, prompt: "On which day did you arrive?"}
      - {id: number, kind: phone, default_region: SN, prompt: "Your new phone number?"}
      - {id: country, kind: country, suggest: [SN, ML], prompt: "In which country are you?"}
"""


async def test_a_check_in_renders_every_kind_the_check_lets_it_ask(
    settings: Settings, api: OfflineBotAPI, clock: Clock, tmp_path: Path
) -> None:
    """What `conversations check` accepts in a check-in, the dispatcher can send."""
    conversations = tmp_path / "conversations"
    conversations.mkdir()
    shutil.copy(ROOT / "conversations" / "intake.yaml", conversations)
    shutil.copy(ROOT / "conversations" / "checklist.yaml", conversations)
    (conversations / "followup.yaml").write_text(EVERY_KIND, encoding="utf-8")
    settings = settings.model_copy(update={"conversations_dir": conversations})
    bot = await build(settings, offline=api, clock=clock)
    await bot.start()
    try:
        flow = bot.followups.checkin("day_7").flow
        assert {step.kind for step in flow.steps} == CHECKIN_KINDS
        case_id = await returned_case(bot, 88)
        clock.now = at(27, 10)
        assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
        phone = Phone(bot, api.person(88, "Awa", "fr"))
        await phone.choose("yes")
        await phone.choose("family")
        await phone.choose("food")
        await phone.choose("done")
        await phone.say("Thiès")
        await phone.say("3")
        await phone.say("20/11/2026")
        await phone.send(phone.person.contact("+221 77 123 45 67"))
        await phone.choose("ML")
        async with bot.store.unit() as unit:
            answered = {r.checkin: r for r in await checkins.for_case(unit, case_id)}["day_7"]
    finally:
        await bot.stop()
    assert answered.status == "answered"
    assert answered.answers == {
        "safe": True,
        "staying": "family",
        "needs": ["food"],
        "town": "Thiès",
        "people": 3,
        "back_on": "2026-11-20",
        "number": "+221771234567",
        "country": "ML",
    }


async def test_words_written_during_a_check_in_reach_the_case(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    """A returnee often writes a sentence instead of tapping: it is kept for staff, and a
    yes or no typed in their language is taken as the tap."""
    case_id = await returned_case(bot, 79)
    clock.now = at(27, 10)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    phone: Phone = phone_factory(79)
    reply = await phone.say("Mon enfant est malade, je n'ai pas d'argent")
    assert phone.inbox[-2].text.startswith("Ce n'est pas une réponse à la question")
    assert reply.text.startswith("⚠️ Appuyez sur un des boutons ci-dessous")
    await phone.say("oui")  # arrived safely
    async with bot.store.unit() as unit:
        kept = await messages.of_case(unit, case_id)
    assert [(m.direction, m.body) for m in kept] == [
        ("in", "Mon enfant est malade, je n'ai pas d'argent")
    ]
    state = await session_state(bot)
    assert state.answers == {"arrived_safely": True}
