"""Who works which case, on a real store: new cases given out by rule, taking and giving a
case, red flags acknowledged, the person's messages read by the case's caseworker, the
priority inbox's order and the workload table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import Runtime
from bot.caseload import RULE_ACTOR, Caseload, NewCases, assign_new, opened
from bot.casework import Casework, Refused
from bot.store import (
    Submission,
    accounts,
    acknowledgements,
    appointments,
    assignment,
    audit,
    caseload,
    cases,
    messages,
    people,
    priority,
    queue,
    reading,
)
from bot.store.accounts import AccountRecord
from tests.helpers import Clock, Phone, add_account
from tests.walker import complete_intake


@pytest.fixture
def work(bot: Runtime, clock: Clock) -> Caseload:
    async def nobody(*_: Any) -> bool:
        return False

    casework = Casework(bot.store, bot.flow, bot.catalogs, clock, nobody, nobody,
                        office="OIM Rabat", notified=frozenset())  # fmt: skip
    return Caseload(bot.store, casework, clock)


async def account(bot: Runtime, name: str, role: str = "caseworker") -> AccountRecord:
    await add_account(bot, name, role)
    async with bot.store.unit() as unit:
        found = await accounts.by_username(unit, name)
    assert found is not None
    return found


async def new_case(
    bot: Runtime,
    clock: Clock,
    n: int,
    flags: tuple[str, ...] = (),
    status: str = "submitted",
    rule: NewCases = NewCases.NONE,
) -> cases.CaseRecord:
    """A sent request at `status`, a minute after the one before."""
    clock.advance(minutes=1)
    values = {"full_name": f"Person {n}", "phone": f"+2126100{n:05d}"}
    async with bot.store.unit() as unit:
        person = await people.add(unit, 8000 + n, "fr", clock())
        submission = Submission(values, {}, flags, "1", f"person {n}")
        case = await cases.submit(unit, person, submission, "AVR", clock())
        await assign_new(unit, case.id, rule, clock())
        if status != case.status:
            await cases.change_status(unit, case, status, "setup", "", None, clock())
    return case


async def owner(bot: Runtime, case: cases.CaseRecord) -> int | None:
    async with bot.store.unit() as unit:
        return await assignment.assignee(unit, case.id)


async def give(bot: Runtime, case: cases.CaseRecord, someone: AccountRecord | None) -> None:
    async with bot.store.unit() as unit:
        await assignment.assign(unit, case.id, someone.id if someone else None, "setup",
                                bot.service.clock())  # fmt: skip


async def message_in(bot: Runtime, clock: Clock, case: cases.CaseRecord) -> None:
    clock.advance(minutes=1)
    async with bot.store.unit() as unit:
        await messages.add(unit, case.id, "in", None, "Hello?", True, clock())


async def book(
    bot: Runtime, case: cases.CaseRecord, starts_at: datetime, status: str = "booked"
) -> None:
    async with bot.store.unit() as unit:
        await appointments.add(unit, case.id, "interview", starts_at, status, None, "setup",
                               bot.service.clock())  # fmt: skip


async def unread(bot: Runtime, case: cases.CaseRecord) -> int:
    async with bot.store.unit() as unit:
        return (await reading.counts(unit, [case.id])).get(case.id, 0)


async def test_round_robin_gives_new_cases_to_each_active_caseworker_in_turn(
    bot: Runtime, clock: Clock
) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    await account(bot, "chief", "supervisor")  # supervisors are not in the turn
    gone = await account(bot, "gone")
    chloe = await account(bot, "chloe")
    async with bot.store.unit() as unit:
        await accounts.set_active(unit, gone.id, False)
    given = [await new_case(bot, clock, n, rule=NewCases.ROUND_ROBIN) for n in range(5)]
    assert [await owner(bot, case) for case in given] == [
        amina.id, bilal.id, chloe.id, amina.id, bilal.id
    ]  # fmt: skip
    async with bot.store.unit() as unit:
        (event,) = [e for e in await audit.trail(unit, given[0].id) if e.action == "case.assigned"]
    assert event.actor == RULE_ACTOR and event.details["account_id"] == amina.id


async def test_round_robin_goes_on_after_a_case_given_by_hand_and_waits_without_caseworkers(
    bot: Runtime, clock: Clock
) -> None:
    alone = await new_case(bot, clock, 1, rule=NewCases.ROUND_ROBIN)
    assert await owner(bot, alone) is None  # nobody to give it to
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    await give(bot, alone, bilal)  # by hand: the turn goes on after bilal
    after = await new_case(bot, clock, 2, rule=NewCases.ROUND_ROBIN)
    assert await owner(bot, after) == amina.id


async def test_without_a_rule_new_cases_wait_unassigned(bot: Runtime, clock: Clock) -> None:
    await account(bot, "amina")
    case = await new_case(bot, clock, 1)
    assert await owner(bot, case) is None


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_an_intake_submitted_under_round_robin_lands_with_a_caseworker(
    bot: Runtime, api: Any, language: str
) -> None:
    amina = await account(bot, "amina")
    bot.service.new_cases = NewCases.ROUND_ROBIN
    phone = Phone(bot, api.person(31, "Awa", language))
    reference = await complete_intake(phone)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        assert await assignment.assignee(unit, case.id) == amina.id


async def test_a_caseworker_takes_a_case_nobody_has_and_no_one_elses(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    case = await new_case(bot, clock, 1)
    await work.take(case.reference, amina)
    await work.take(case.reference, amina)  # hers already: nothing changes
    assert await owner(bot, case) == amina.id
    with pytest.raises(Refused):
        await work.take(case.reference, bilal)
    assert await owner(bot, case) == amina.id
    async with bot.store.unit() as unit:
        moves = [e for e in await audit.trail(unit, case.id) if e.action == "case.assigned"]
    assert [(e.actor, e.details["account_id"]) for e in moves] == [("amina", amina.id)]


async def test_only_a_supervisor_gives_a_case_and_only_to_an_active_account(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    chief = await account(bot, "chief", "supervisor")
    case = await new_case(bot, clock, 1)
    await work.take(case.reference, amina)
    with pytest.raises(Refused):  # a caseworker cannot move someone else's case
        await work.reassign(case.reference, bilal.id, bilal)
    await work.reassign(case.reference, bilal.id, chief)
    assert await owner(bot, case) == bilal.id
    async with bot.store.unit() as unit:
        await accounts.set_active(unit, amina.id, False)
    with pytest.raises(Refused):
        await work.reassign(case.reference, amina.id, chief)
    await work.reassign(case.reference, None, chief)
    assert await owner(bot, case) is None


async def test_a_red_flag_is_acknowledged_with_a_note_and_stays_on_the_case(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina = await account(bot, "amina")
    case = await new_case(bot, clock, 1, flags=("urgent_health", "family_case"))
    with pytest.raises(Refused):
        await work.acknowledge(case.reference, "urgent_health", "  ", amina)  # no note
    with pytest.raises(Refused):
        await work.acknowledge(case.reference, "family_case", "Seen", amina)  # not red
    with pytest.raises(Refused):
        await work.acknowledge(case.reference, "unsafe", "Seen", amina)  # not on the case
    await work.acknowledge(case.reference, "urgent_health", "Called; clinic on Monday", amina)
    with pytest.raises(Refused):
        await work.acknowledge(case.reference, "urgent_health", "Again", amina)
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case.id)
        seen = await acknowledgements.of_case(unit, case.id)
        trail = await audit.trail(unit, case.id)
    assert found is not None and "urgent_health" in found.flags
    assert seen["urgent_health"].by == "amina" and seen["urgent_health"].at == clock.now
    assert seen["urgent_health"].note == "Called; clinic on Monday"
    (event,) = [e for e in trail if e.action == "case.flag_acknowledged"]
    assert event.actor == "amina" and event.details == {"flag": "urgent_health"}


async def test_a_correction_keeps_a_flag_that_still_holds_as_acknowledged(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina = await account(bot, "amina")
    case = await new_case(bot, clock, 1, flags=("unaccompanied_minor", "minor"))
    await work.acknowledge(case.reference, "unaccompanied_minor", "Guardian called", amina)
    corrected = Submission({**case.answers, "current_city": "oujda"}, {}, ("unaccompanied_minor",
                           "minor"), "1", "awa diallo")  # fmt: skip
    async with bot.store.unit() as unit:
        await cases.correct(unit, case.id, corrected, {"unaccompanied_minor", "minor"}, clock())
        seen = await acknowledgements.of_case(unit, case.id)
    assert seen["unaccompanied_minor"].note == "Guardian called"


async def test_a_red_flag_raised_again_needs_a_caseworker_again(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina = await account(bot, "amina")
    case = await new_case(bot, clock, 1, flags=("unsafe",))
    await work.acknowledge(case.reference, "unsafe", "Talked to them", amina)
    async with bot.store.unit() as unit:
        await cases.add_flag(unit, case.id, "unsafe")  # a later check-in says so again
        assert await acknowledgements.of_case(unit, case.id) == {}
        listed = await priority.page(unit, priority.Scope.ALL, amina.id, clock())
    assert [(row.reference, row.tier) for row in listed.rows] == [
        (case.reference, priority.Tier.RED_FLAG)
    ]


async def test_messages_are_read_only_when_the_cases_caseworker_opens_it(
    bot: Runtime, clock: Clock
) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    case = await new_case(bot, clock, 1)
    await message_in(bot, clock, case)
    async with bot.store.unit() as unit:  # nobody has it: opening it reads nothing
        assert (await opened(unit, case.id, amina, clock())).unread == 1
    await give(bot, case, amina)
    await message_in(bot, clock, case)
    async with bot.store.unit() as unit:  # someone else opens it
        assert (await opened(unit, case.id, bilal, clock())).unread == 2
    assert await unread(bot, case) == 2
    async with bot.store.unit() as unit:
        seen = await opened(unit, case.id, amina, clock())
    assert (seen.read_now, seen.unread) == (2, 0)
    await message_in(bot, clock, case)
    assert await unread(bot, case) == 1  # a new one is unread again


async def test_the_inbox_puts_red_flags_then_messages_then_appointments_then_new_requests(
    bot: Runtime, clock: Clock, work: Caseload
) -> None:
    amina = await account(bot, "amina")
    new = await new_case(bot, clock, 1)
    health = await new_case(bot, clock, 2, flags=("urgent_health",), status="in_review")
    family = await new_case(bot, clock, 3, flags=("vulnerable", "family_case"))
    quiet = await new_case(bot, clock, 4, status="in_review")  # nothing to do: not listed
    written = await new_case(bot, clock, 5, status="in_review")
    child = await new_case(bot, clock, 6, flags=("unaccompanied_minor", "minor"))
    human = await new_case(bot, clock, 7, flags=("wants_human",), status="accepted")
    booked = await new_case(bot, clock, 8, status="in_review")
    later = await new_case(bot, clock, 9, status="in_review")  # not due yet: not listed
    done = await new_case(bot, clock, 10, status="in_review")  # came: nothing to do
    twin = await new_case(bot, clock, 11, flags=("urgent_health",), status="duplicate")
    await message_in(bot, clock, written)
    await message_in(bot, clock, child)  # already first for its flag: listed once
    await book(bot, booked, clock() + timedelta(hours=3))
    await book(bot, later, clock() + timedelta(days=3))
    await book(bot, done, clock() - timedelta(hours=3), "came")
    await message_in(bot, clock, twin)  # a closed duplicate waits for nothing: not listed
    for case in (new, health, family, quiet, written, child, human, booked, later, done, twin):
        await give(bot, case, amina)

    async def listed() -> list[tuple[str, priority.Tier]]:
        async with bot.store.unit() as unit:
            page = await priority.page(unit, priority.Scope.MINE, amina.id, clock())
        return [(row.reference, row.tier) for row in page.rows]

    red, message, fresh = priority.Tier.RED_FLAG, priority.Tier.UNREAD, priority.Tier.NEW
    due = priority.Tier.DUE
    assert await listed() == [
        (health.reference, red), (child.reference, red), (human.reference, red),
        (written.reference, message), (booked.reference, due),
        (new.reference, fresh), (family.reference, fresh),
    ]  # fmt: skip
    order = [reference for reference, _ in await listed()]
    assert order.index(child.reference) < order.index(family.reference)
    await work.acknowledge(health.reference, "urgent_health", "Seen to", amina)
    await work.acknowledge(child.reference, "unaccompanied_minor", "Guardian found", amina)
    assert await listed() == [
        (human.reference, red), (written.reference, message),
        (child.reference, message),  # the person wrote after the other: waiting less long
        (booked.reference, due), (new.reference, fresh), (family.reference, fresh),
    ]  # fmt: skip


async def test_the_inbox_shows_mine_unassigned_or_all(bot: Runtime, clock: Clock) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    mine, theirs, nobodys = [await new_case(bot, clock, n) for n in range(3)]
    await give(bot, mine, amina)
    await give(bot, theirs, bilal)

    async def refs(scope: priority.Scope) -> list[str]:
        async with bot.store.unit() as unit:
            page = await priority.page(unit, scope, amina.id, clock())
        assert page.total == len(page.rows)
        return [row.reference for row in page.rows]

    assert await refs(priority.Scope.MINE) == [mine.reference]
    assert await refs(priority.Scope.UNASSIGNED) == [nobodys.reference]
    assert await refs(priority.Scope.ALL) == [mine.reference, theirs.reference, nobodys.reference]


async def test_the_queues_urgent_first_puts_red_flags_before_a_family_with_a_child(
    bot: Runtime, clock: Clock
) -> None:
    child = await new_case(bot, clock, 1, flags=("unaccompanied_minor", "minor"))
    health = await new_case(bot, clock, 2, flags=("urgent_health",), status="returned")
    family = await new_case(bot, clock, 3, flags=("vulnerable", "family_case"))
    plain = await new_case(bot, clock, 4)
    async with bot.store.unit() as unit:
        page = await queue.page(unit, queue.CaseFilter(priority_first=True))
    assert [row.reference for row in page.rows] == [
        health.reference, child.reference, family.reference, plain.reference
    ]  # fmt: skip


async def test_the_workload_counts_open_cases_red_flags_unread_messages_and_due_appointments(
    bot: Runtime, clock: Clock
) -> None:
    amina, bilal = await account(bot, "amina"), await account(bot, "bilal")
    await account(bot, "chief", "supervisor")
    a1 = await new_case(bot, clock, 1, flags=("unsafe",))
    a2 = await new_case(bot, clock, 2, status="in_review")
    a3 = await new_case(bot, clock, 3, status="rejected")  # over: not an open case
    b1 = await new_case(bot, clock, 4, status="in_review")
    await new_case(bot, clock, 5)
    for case, who in ((a1, amina), (a2, amina), (a3, amina), (b1, bilal)):
        await give(bot, case, who)
    await message_in(bot, clock, a2)
    await message_in(bot, clock, a2)
    await book(bot, a2, clock() - timedelta(days=1))  # overdue: no outcome written
    await book(bot, b1, clock() + timedelta(days=5))  # not due yet
    async with bot.store.unit() as unit:
        loads = {load.username: load for load in await caseload.workload(unit, clock())}
    assert loads["amina"].by_status == {"submitted": 1, "in_review": 1}
    amina_load = loads["amina"]
    assert (amina_load.open, amina_load.red_flags, amina_load.unread, amina_load.due) == (
        2,
        1,
        2,
        1,
    )
    assert loads["bilal"].by_status == {"in_review": 1} and loads["bilal"].unread == 0
    assert loads["bilal"].due == 0
    assert loads["chief"].open == 0
    assert loads[""].account_id is None and loads[""].by_status == {"submitted": 1}
