"""The case use-cases, called as the dashboard (or a command) calls them, on a real store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.app import Runtime
from bot.casework import Casework, NoSuchCase, Refused, StatusChange
from bot.status import TransitionRefused
from bot.store import (
    Submission,
    accounts,
    assignment,
    audit,
    cases,
    checkins,
    messages,
    notes,
    people,
    twins,
)
from tests.helpers import Clock, Reach, add_account

PERSON = 7001


@pytest.fixture
def reach() -> Reach:
    return Reach()


@pytest.fixture
def work(bot: Runtime, clock: Clock, reach: Reach) -> Casework:
    return Casework(
        bot.store,
        bot.flow,
        bot.catalogs,
        clock,
        reach.notify,
        reach.ask_again,
        office="OIM Rabat",
        notified=frozenset({"accepted", "needs_info", "rejected"}),
        followups=bot.followups,
    )


async def new_case(
    bot: Runtime, clock: Clock, status: str = "submitted", telegram_id: int = PERSON, **answers: Any
) -> cases.CaseRecord:
    """A sent request, put straight at `status`, as the store records one."""
    values = {"full_name": "Awa Diallo", "date_of_birth": "1990-01-01", "nationality": "SN",
              "phone": f"+21260000{telegram_id:04d}", "current_city": "rabat", **answers}  # fmt: skip
    async with bot.store.unit() as unit:
        person = await people.add(unit, telegram_id, "fr", clock())
        submission = Submission(values, {}, (), "1", "awa diallo")
        sent = await cases.submit(unit, person, submission, "AVR", clock())
        case = await cases.by_reference(unit, sent.reference)
        assert case is not None
        if status != case.status:
            await cases.change_status(unit, case, status, "setup", "", None, clock())
    return await read(bot, case.reference)


async def read(bot: Runtime, reference: str) -> cases.CaseRecord:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found


async def notes_of(bot: Runtime, case: cases.CaseRecord) -> list[str]:
    async with bot.store.unit() as unit:
        return [note.body for note in await notes.of_case(unit, case.id)]


async def messages_of(bot: Runtime, case: cases.CaseRecord) -> list[tuple[str, str | None, bool]]:
    async with bot.store.unit() as unit:
        return [(m.body, m.author, m.delivered) for m in await messages.of_case(unit, case.id)]


async def actions(bot: Runtime, case: cases.CaseRecord) -> list[str]:
    async with bot.store.unit() as unit:
        return [entry.action for entry in await audit.trail(unit, case.id)]


async def planned_checkins(bot: Runtime, case: cases.CaseRecord) -> list[checkins.FollowupRecord]:
    async with bot.store.unit() as unit:
        return await checkins.for_case(unit, case.id)


async def test_an_allowed_change_is_written_noted_and_told_in_the_persons_language(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach
) -> None:
    case = await new_case(bot, clock, "in_review")
    change = StatusChange("accepted", note="Documents checked")
    await work.change_status(case.reference, change, "amina")
    assert (await read(bot, case.reference)).status == "accepted"
    assert await notes_of(bot, case) == ["Documents checked"]
    assert "case.status_changed" in await actions(bot, case)
    [(telegram_id, text)] = reach.sent
    assert telegram_id == PERSON and case.reference in text and "acceptée" in text
    assert await messages_of(bot, case) == [(text, "amina", True)]


async def test_the_person_is_told_as_chosen_not_only_by_default(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach
) -> None:
    case = await new_case(bot, clock)
    await work.change_status(case.reference, StatusChange("in_review", tell=False), "amina")
    assert reach.sent == []  # in_review is not told by default, and was not asked to be
    await work.change_status(case.reference, StatusChange("accepted", tell=False), "amina")
    await work.change_status(case.reference, StatusChange("travel_booked", tell=False), "amina")
    assert reach.sent == []
    await work.change_status(case.reference, StatusChange("departed", tell=True), "amina")
    assert len(reach.sent) == 1


@pytest.mark.parametrize(
    ("status", "change", "reason"),
    [
        ("submitted", StatusChange("closed"), "This status change is not allowed."),
        ("in_review", StatusChange("rejected"), "Write a note to explain this decision."),
        ("departed", StatusChange("returned"), "Give the date of return."),
        ("in_review", StatusChange("needs_info"), "Tick the answers the person must give again."),
        (
            "in_review",
            StatusChange("needs_info", ask=("language", "no_such_step")),
            "Tick the answers the person must give again.",
        ),
    ],
)
async def test_a_refused_change_does_nothing(
    bot: Runtime,
    clock: Clock,
    work: Casework,
    reach: Reach,
    status: str,
    change: StatusChange,
    reason: str,
) -> None:
    case = await new_case(bot, clock, status, language="fr")
    with pytest.raises(TransitionRefused) as refused:
        await work.change_status(case.reference, change, "amina")
    assert refused.value.reason == reason
    assert (await read(bot, case.reference)).status == status
    assert await notes_of(bot, case) == [] and reach.sent == [] and reach.questions == []


async def test_a_change_from_a_status_already_left_is_refused(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach
) -> None:
    seen = await new_case(bot, clock)  # as a caseworker saw it, "submitted"
    await work.change_status(seen.reference, StatusChange("withdrawn", note="Gone"), "amina")
    with pytest.raises(cases.StatusChanged):
        await work.change_status(seen, StatusChange("in_review"), "karim")
    assert (await read(bot, seen.reference)).status == "withdrawn"
    assert reach.sent == []


async def test_an_unknown_case_is_no_such_case(work: Casework) -> None:
    with pytest.raises(NoSuchCase):
        await work.change_status("AVR-2026-99999", StatusChange("in_review"), "amina")
    with pytest.raises(NoSuchCase):
        await work.add_note("AVR-2026-99999", "A note", "amina")
    with pytest.raises(NoSuchCase):
        await work.send_message("AVR-2026-99999", "Hello", "amina")


async def test_needs_info_asks_the_ticked_answers_again(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach
) -> None:
    case = await new_case(bot, clock, "in_review", consent=True)
    change = StatusChange("needs_info", ask=("phone", "consent", "current_city"))
    await work.change_status(case.reference, change, "amina")
    assert reach.questions == [(case.id, ["phone", "current_city"])]
    assert await notes_of(bot, case) == []


async def test_needs_info_that_cannot_be_asked_leaves_a_note_in_the_actors_language(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach
) -> None:
    reach.asked = False
    case = await new_case(bot, clock, "in_review")
    change = StatusChange("needs_info", ask=("phone",), tell=False)
    await work.change_status(case.reference, change, "amina", language="fr")
    assert (await read(bot, case.reference)).status == "needs_info"
    [note] = await notes_of(bot, case)
    assert note.startswith("Les questions")


async def test_returning_plans_check_ins_and_a_new_return_date_moves_them(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    case = await new_case(bot, clock, "departed", followup_consent=True)
    back = StatusChange("returned", return_date=date(2026, 11, 20), tell=False)
    await work.change_status(case.reference, back, "amina")
    planned = await planned_checkins(bot, case)
    assert planned
    await work.change_return(case.reference, date(2026, 11, 25), "Africa/Dakar", "amina")
    moved = await planned_checkins(bot, case)
    assert {c.checkin for c in moved} >= {c.checkin for c in planned if c.status == "planned"}
    assert min(c.due_at for c in moved) > min(c.due_at for c in planned)
    assert "case.return_changed" in await actions(bot, case)


@pytest.mark.parametrize(
    ("status", "when", "zone", "reason"),
    [
        ("departed", date(2026, 11, 20), None, "a past date"),
        ("returned", date(2026, 12, 20), None, "a past date"),
        ("returned", None, None, "a past date"),
        ("returned", date(2026, 11, 20), "Mars/Olympus", "Unknown time zone."),
    ],
)
async def test_a_return_date_is_refused_unless_past_for_a_returned_case(
    bot: Runtime, clock: Clock, work: Casework, status: str, when: date | None, zone: str | None,
    reason: str,
) -> None:  # fmt: skip
    case = await new_case(bot, clock, status)
    with pytest.raises(Refused) as refused:
        await work.change_return(case.reference, when, zone, "amina")
    assert reason in refused.value.reason
    assert "case.return_changed" not in await actions(bot, case)


async def test_a_note_is_trimmed_audited_and_an_empty_one_ignored(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    case = await new_case(bot, clock)
    await work.add_note(case.reference, "   ", "amina")
    await work.add_note(case.reference, "  Called her back  ", "amina")
    await work.add_note(case.reference, "x" * 5000, "amina")
    assert await notes_of(bot, case) == ["Called her back", "x" * 2000]
    assert (await actions(bot, case)).count("case.note_added") == 2


@pytest.mark.parametrize("delivered", [True, False])
async def test_a_message_is_sent_as_written_and_recorded_with_its_fate(
    bot: Runtime, clock: Clock, work: Casework, reach: Reach, delivered: bool
) -> None:
    reach.delivered = delivered
    case = await new_case(bot, clock)
    await work.send_message(case.reference, "  Come on Monday {reference}  ", "amina")
    await work.send_message(case.reference, "   ", "amina")
    fr = bot.catalogs.translator("fr")  # the person's language
    header = fr.gettext("Message from the {office} team:", office="OIM Rabat")
    assert header != "Message from the OIM Rabat team:"
    # Said to be the staff's, then as written: not a template.
    assert reach.sent == [(PERSON, f"{header}\n\nCome on Monday {{reference}}")]
    assert await messages_of(bot, case) == [("Come on Monday {reference}", "amina", delivered)]


async def test_two_cases_are_linked_both_ways_and_never_to_themselves(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    first = await new_case(bot, clock, telegram_id=7001)
    second = await new_case(bot, clock, telegram_id=7002, full_name="Fatou Sow")
    await work.link(second.reference, first.reference, "amina")
    async with bot.store.unit() as unit:
        assert [t.reference for t in await twins.of_case(unit, first) if t.linked] == [
            second.reference
        ]
        assert [t.reference for t in await twins.of_case(unit, second) if t.linked] == [
            first.reference
        ]
    for other in (second.reference, "AVR-2026-99999"):
        with pytest.raises(Refused):
            await work.link(second.reference, other, "amina")


async def test_a_case_is_assigned_reassigned_and_let_go_with_each_move_audited(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    case = await new_case(bot, clock)
    await add_account(bot, "amina")
    await add_account(bot, "karim")
    async with bot.store.unit() as unit:
        amina = await accounts.by_username(unit, "amina")
        karim = await accounts.by_username(unit, "karim")
    assert amina is not None and karim is not None
    await work.assign(case.reference, amina.id, "sara")
    await work.assign(case.reference, amina.id, "sara")  # no change: nothing recorded
    await work.assign(case.reference, karim.id, "sara")
    await work.assign(case.reference, None, "sara")
    async with bot.store.unit() as unit:
        assert await assignment.assignee(unit, case.id) is None
        events = [e for e in await audit.trail(unit, case.id) if e.action == "case.assigned"]
    moves = [(e.details["previous_account_id"], e.details["account_id"]) for e in events]
    assert moves == [(None, amina.id), (amina.id, karim.id), (karim.id, None)]


async def test_a_case_is_not_given_to_an_inactive_account(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    case = await new_case(bot, clock)
    await add_account(bot, "amina")
    async with bot.store.unit() as unit:
        amina = await accounts.by_username(unit, "amina")
        assert amina is not None
        await accounts.set_active(unit, amina.id, False)
    with pytest.raises(Refused):
        await work.assign(case.reference, amina.id, "sara")
    with pytest.raises(Refused):
        await work.assign(case.reference, 9999, "sara")
    async with bot.store.unit() as unit:
        assert await assignment.assignee(unit, case.id) is None
