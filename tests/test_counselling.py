"""The counselling record, the people of a case and duplicates, as the dashboard's services
do them, on a real store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, text

from bot.app import Runtime
from bot.casework import Casework, Refused, StatusChange
from bot.config import ROOT
from bot.conversations import CHECKLIST_FILE, load_checklist
from bot.counselling import Counselling, ItemInput, MemberInput
from bot.roles import Role
from bot.status import TransitionRefused
from bot.store import (
    PreRegistration,
    Store,
    Submission,
    audit,
    cases,
    counselling,
    members,
    messages,
    people,
    queue,
    twins,
)
from bot.store.queue import CaseFilter
from tests.helpers import Clock

CHECKLIST = load_checklist(ROOT / "conversations" / CHECKLIST_FILE)
TODAY = date(2026, 11, 27)
FAMILY = [
    {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1988-03-02"},
    {"name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2019"},
]


async def _nobody(*_args: Any) -> bool:
    return True


@pytest.fixture
def work(bot: Runtime, clock: Clock) -> Casework:
    return Casework(bot.store, bot.flow, bot.catalogs, clock, _nobody, _nobody,
                    office="OIM Rabat", notified=frozenset(), checklist=CHECKLIST)  # fmt: skip


@pytest.fixture
def counsel(bot: Runtime, clock: Clock) -> Counselling:
    return Counselling(bot.store, bot.flow, CHECKLIST, clock)


async def new_case(
    bot: Runtime,
    clock: Clock,
    telegram_id: int,
    status: str = "in_review",
    flags: tuple[str, ...] = (),
    **answers: Any,
) -> cases.CaseRecord:
    """A sent request, put straight at `status`."""
    values = {"full_name": "Awa Diallo", "date_of_birth": "1990-01-01",
              "phone": f"+21260000{telegram_id:04d}", **answers}  # fmt: skip
    async with bot.store.unit() as unit:
        person = await people.add(unit, telegram_id, "fr", clock())
        submission = Submission(values, {}, flags, "1", f"awa diallo {telegram_id}")
        sent = await cases.submit(unit, person, submission, "AVR", clock())
        if status != sent.status:
            await cases.change_status(unit, sent, status, "setup", "", None, clock())
    return await read(bot, sent.reference)


async def read(bot: Runtime, reference: str) -> cases.CaseRecord:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found


async def trail(bot: Runtime, case: cases.CaseRecord) -> list[tuple[str, str, dict[str, Any]]]:
    async with bot.store.unit() as unit:
        return [(e.actor, e.action, e.details) for e in await audit.trail(unit, case.id)]


async def do_everything(counsel: Counselling, case: cases.CaseRecord, *skip: str) -> None:
    """Record every item of the checklist as done, but `skip`."""
    for item in CHECKLIST.items:
        if item.id in skip:
            continue
        value = item.options[0].value if item.options else "Talked for an hour"
        given = ItemInput(item.id, value, TODAY, "Fatima Alaoui")
        await counsel.record(case.reference, given, "amina")


# The checklist


async def test_a_case_is_not_accepted_while_its_checklist_is_incomplete(
    bot: Runtime, clock: Clock, work: Casework, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 1)
    await do_everything(counsel, case, "fitness")
    with pytest.raises(TransitionRefused) as refused:
        await work.change_status(case.reference, StatusChange("accepted"), "amina")
    assert refused.value.reason.startswith("The counselling checklist is not complete")
    assert (await read(bot, case.reference)).status == "in_review"
    await counsel.record(case.reference, ItemInput("fitness", "needs_escort"), "amina")
    await work.change_status(case.reference, StatusChange("accepted"), "amina")
    assert (await read(bot, case.reference)).status == "accepted"


async def test_not_fit_to_travel_keeps_the_case_from_acceptance(
    bot: Runtime, clock: Clock, work: Casework, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 2)
    await do_everything(counsel, case)
    await counsel.record(case.reference, ItemInput("fitness", "not_fit"), "amina")
    with pytest.raises(TransitionRefused):
        await work.change_status(case.reference, StatusChange("accepted"), "amina")


async def test_items_for_minors_and_refugees_apply_only_to_them(
    bot: Runtime, clock: Clock, work: Casework, counsel: Counselling
) -> None:
    adult = await new_case(bot, clock, 3)
    minor = await new_case(bot, clock, 4, flags=("minor", "refugee_or_asylum"))
    skip = ("best_interests", "guardian_consent", "unhcr_referral")
    await do_everything(counsel, adult, *skip)
    await do_everything(counsel, minor, *skip)
    await work.change_status(adult.reference, StatusChange("accepted"), "amina")
    with pytest.raises(TransitionRefused):
        await work.change_status(minor.reference, StatusChange("accepted"), "amina")
    async with bot.store.unit() as unit:
        entries = await counselling.entries(unit, minor.id)
    assert "guardian_consent" not in entries
    assert entries["voluntariness"].done_on == TODAY
    assert entries["voluntariness"].done_by == "Fatima Alaoui"
    assert entries["voluntariness"].recorded_by == "amina"


async def test_a_supervisor_accepts_without_the_checklist_with_a_note_and_it_is_audited(
    bot: Runtime, clock: Clock, work: Casework, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 5)
    await do_everything(counsel, case, "status_checked", "fitness")
    override = StatusChange("accepted", note="Flight tomorrow; checked by phone", override=True)
    with pytest.raises(TransitionRefused) as refused:  # a caseworker cannot
        await work.change_status(case.reference, override, "amina", role=Role.CASEWORKER)
    assert refused.value.reason.startswith("Only a supervisor")
    without_note = StatusChange("accepted", override=True)
    with pytest.raises(TransitionRefused) as refused:
        await work.change_status(case.reference, without_note, "sara", role=Role.SUPERVISOR)
    assert refused.value.reason.startswith("Write a note to explain why")
    await work.change_status(case.reference, override, "sara", role=Role.SUPERVISOR)
    assert (await read(bot, case.reference)).status == "accepted"
    assert ("sara", "case.checklist_overridden", {"missing": ["status_checked", "fitness"]}) in (
        await trail(bot, case)
    )


async def test_recording_an_item_is_checked_and_audited_without_its_value(
    bot: Runtime, clock: Clock, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 6)
    with pytest.raises(Refused) as refused:
        await counsel.record(case.reference, ItemInput("voluntariness", "", TODAY, " "), "amina")
    assert refused.value.reason == "Give the date and who did it."
    with pytest.raises(Refused):
        await counsel.record(case.reference, ItemInput("fitness", "healthy"), "amina")
    with pytest.raises(Refused):
        later = ItemInput("voluntariness", "", date(2026, 12, 25), "Fatima")
        await counsel.record(case.reference, later, "amina")
    with pytest.raises(Refused):
        await counsel.record(case.reference, ItemInput("haircut", "done"), "amina")
    await counsel.record(case.reference, ItemInput("notes", "Wants to join her mother"), "amina")
    await counsel.record(case.reference, ItemInput("notes", clear=True), "amina")
    actions = await trail(bot, case)
    assert ("amina", "case.checklist_recorded", {"item": "notes"}) in actions
    assert ("amina", "case.checklist_cleared", {"item": "notes"}) in actions
    assert "mother" not in repr(actions)
    async with bot.store.unit() as unit:
        assert await counselling.entries(unit, case.id) == {}


async def test_a_refusal_needs_a_reason_from_the_list_kept_with_the_case(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    case = await new_case(bot, clock, 7)
    for reason in ("", "too_tall"):
        with pytest.raises(TransitionRefused) as refused:
            change = StatusChange("rejected", note="Registered refugee", reason=reason)
            await work.change_status(case.reference, change, "amina")
        assert refused.value.reason == "Choose the reason the request is not accepted."
    change = StatusChange("rejected", note="Registered refugee", reason="protection_referral")
    await work.change_status(case.reference, change, "amina")
    async with bot.store.unit() as unit:
        assert await counselling.decision(unit, case.id) == ("protection_referral", None)
    assert ("amina", "case.refusal_reason", {"reason": "protection_referral"}) in (
        await trail(bot, case)
    )


# The people of a case


async def test_family_members_are_made_from_the_answers_at_submission(
    bot: Runtime, clock: Clock
) -> None:
    case = await new_case(bot, clock, 10, family_count=2, family_members=FAMILY)
    alone = await new_case(bot, clock, 11)
    async with bot.store.unit() as unit:
        found = await members.of_case(unit, case.id)
        assert await members.of_case(unit, alone.id) == []
    assert [(m.position, m.name, m.relationship, m.date_of_birth) for m in found] == [
        (0, "Moussa Diallo", "spouse", "1988-03-02"),
        (1, "Fanta Diallo", "child", "2019"),
    ]
    assert all(m.travel_document is None and m.vulnerabilities == () for m in found)


async def test_a_caseworker_gives_a_member_their_own_document_fitness_and_vulnerabilities(
    bot: Runtime, clock: Clock, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 12, family_count=2, family_members=FAMILY)
    async with bot.store.unit() as unit:
        child = (await members.of_case(unit, case.id))[1]
    given = MemberInput("Fanta  Diallo", "child", "2019-06-01", "none", "needs_escort",
                        ("protection", "medical", "medical"))  # fmt: skip
    await counsel.change_member(case.reference, child.id, given, "amina")
    async with bot.store.unit() as unit:
        changed = (await members.of_case(unit, case.id))[1]
    assert changed.name == "Fanta Diallo" and changed.date_of_birth == "2019-06-01"
    assert (changed.travel_document, changed.fitness) == ("none", "needs_escort")
    assert changed.vulnerabilities == ("medical", "protection")
    assert ("amina", "case.member_changed", {"member": child.id}) in await trail(bot, case)


@pytest.mark.parametrize(
    "given",
    [
        MemberInput("F"),
        MemberInput("Fanta Diallo", relationship="cousin"),
        MemberInput("Fanta Diallo", date_of_birth="2030"),
        MemberInput("Fanta Diallo", date_of_birth="01/06/2019"),
        MemberInput("Fanta Diallo", travel_document="visa"),
        MemberInput("Fanta Diallo", fitness="strong"),
        MemberInput("Fanta Diallo", vulnerabilities=("tired",)),
    ],
)
async def test_a_member_change_that_makes_no_sense_is_refused(
    bot: Runtime, clock: Clock, counsel: Counselling, given: MemberInput
) -> None:
    case = await new_case(bot, clock, 13, family_count=2, family_members=FAMILY)
    async with bot.store.unit() as unit:
        child = (await members.of_case(unit, case.id))[1]
    with pytest.raises(Refused):
        await counsel.change_member(case.reference, child.id, given, "amina")


async def test_a_member_of_another_case_cannot_be_changed_from_this_one(
    bot: Runtime, clock: Clock, counsel: Counselling
) -> None:
    mine = await new_case(bot, clock, 14, family_count=2, family_members=FAMILY)
    other = await new_case(bot, clock, 15, family_count=2, family_members=FAMILY)
    async with bot.store.unit() as unit:
        theirs = (await members.of_case(unit, other.id))[0]
    with pytest.raises(Refused) as refused:
        await counsel.change_member(mine.reference, theirs.id, MemberInput("Someone"), "amina")
    assert refused.value.reason == "No such family member on this case."


async def test_corrected_answers_update_the_members_and_keep_what_caseworkers_set(
    bot: Runtime, clock: Clock, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 16, family_count=2, family_members=FAMILY)
    async with bot.store.unit() as unit:
        spouse = (await members.of_case(unit, case.id))[0]
    await counsel.change_member(
        case.reference, spouse.id, MemberInput("Moussa Diallo", "spouse", "1988-03-02", fitness="fit"),
        "amina",
    )  # fmt: skip
    answers = {**case.answers, "family_count": 1, "family_members": [
        {"name": "Moussa K. Diallo", "relationship": "spouse", "date_of_birth": "1988"}]}  # fmt: skip
    async with bot.store.unit() as unit:
        submission = Submission(answers, {}, (), "1", "awa diallo")
        await cases.correct(unit, case.id, submission, set(), clock())
        found = await members.of_case(unit, case.id)
    assert [(m.id, m.name, m.date_of_birth, m.fitness) for m in found] == [
        (spouse.id, "Moussa K. Diallo", "1988", "fit")
    ]


async def test_a_member_removed_takes_what_caseworkers_set_for_them_away_with_them(
    bot: Runtime, clock: Clock, counsel: Counselling
) -> None:
    case = await new_case(bot, clock, 20, family_count=2, family_members=FAMILY)
    async with bot.store.unit() as unit:
        spouse, _child = await members.of_case(unit, case.id)
    await counsel.change_member(
        case.reference, spouse.id, MemberInput("Moussa Diallo", "spouse", fitness="not_fit"),
        "amina",
    )  # fmt: skip
    answers = {**case.answers, "family_count": 1, "family_members": [FAMILY[1]]}  # spouse gone
    async with bot.store.unit() as unit:
        submission = Submission(answers, {}, (), "1", "awa diallo")
        await cases.correct(unit, case.id, submission, set(), clock())
        found = await members.of_case(unit, case.id)
    assert [(m.name, m.relationship, m.fitness) for m in found] == [("Fanta Diallo", "child", None)]


async def test_people_are_counted_applicants_and_members_but_not_closed_duplicates(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    family = await new_case(bot, clock, 17, family_count=2, family_members=FAMILY)
    alone = await new_case(bot, clock, 18)
    again = await new_case(bot, clock, 19, family_count=2, family_members=FAMILY)
    ids = [family.id, alone.id, again.id]
    async with bot.store.unit() as unit:
        assert await members.people(unit, ids) == 3 + 3 + 1
        assert await members.people(unit, [alone.id]) == 1
        assert await members.people(unit, []) == 0
    change = StatusChange("duplicate", duplicate_of=family.reference)
    await work.change_status(again.reference, change, "amina")
    async with bot.store.unit() as unit:
        assert await members.people(unit, ids) == 3 + 1


# Duplicates


async def test_closing_as_a_duplicate_links_the_cases_and_is_audited(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    first = await new_case(bot, clock, 20)
    second = await new_case(bot, clock, 21, "submitted")
    change = StatusChange("duplicate", duplicate_of=first.reference.lower())
    await work.change_status(second.reference, change, "amina")
    assert (await read(bot, second.reference)).status == "duplicate"
    async with bot.store.unit() as unit:
        assert await counselling.decision(unit, second.id) == (None, first.reference)
        linked = await twins.of_case(unit, second)
    assert [(t.reference, t.linked) for t in linked] == [(first.reference, True)]
    actions = await trail(bot, second)
    assert ("amina", "case.linked", {"other_case": first.id}) in actions
    assert ("amina", "case.closed_as_duplicate", {"other_case": first.id}) in actions
    assert ("amina", "case.status_changed",
            {"from_status": "submitted", "to_status": "duplicate"}) in actions  # fmt: skip


@pytest.mark.parametrize("other", ["", "AVR-2026-09999", "self", "a duplicate"])
async def test_a_duplicate_needs_another_case_that_is_not_one(
    bot: Runtime, clock: Clock, work: Casework, other: str
) -> None:
    first = await new_case(bot, clock, 22)
    closed = await new_case(bot, clock, 23)
    await work.change_status(
        closed.reference, StatusChange("duplicate", duplicate_of=first.reference), "amina"
    )
    case = await new_case(bot, clock, 24)
    reference = {"self": case.reference, "a duplicate": closed.reference}.get(other, other)
    with pytest.raises(TransitionRefused):
        await work.change_status(
            case.reference, StatusChange("duplicate", duplicate_of=reference), "amina"
        )
    assert (await read(bot, case.reference)).status == "in_review"


async def test_a_closed_duplicate_is_left_out_of_the_queues_counts_unless_asked_for(
    bot: Runtime, clock: Clock, work: Casework
) -> None:
    first = await new_case(bot, clock, 25)
    second = await new_case(bot, clock, 26)
    await new_case(bot, clock, 27, "submitted")
    await work.change_status(
        second.reference, StatusChange("duplicate", duplicate_of=first.reference), "amina"
    )
    async with bot.store.unit() as unit:
        everything = await queue.page(unit, CaseFilter())
        duplicates = await queue.page(unit, CaseFilter(status="duplicate"))
        exported = await queue.export_chunk(unit, CaseFilter(), None, 100)
        found = await queue.page(unit, CaseFilter(search=second.reference))
    assert everything.total == everything.counted == 2
    assert second.reference not in [row.reference for row in everything.rows]
    assert everything.counts["duplicate"] == 1  # its own tab still says how many
    assert [row.reference for row in duplicates.rows] == [second.reference]
    assert second.reference not in [row["reference"] for row in exported]
    assert [row.reference for row in found.rows] == [second.reference]


async def test_requests_sent_before_the_upgrade_get_their_family_members(
    database_url: str, clock: Clock
) -> None:
    store = Store(database_url)
    await store.upgrade("0012")
    answers = {"full_name": "Awa Diallo", "family_count": 2, "family_members": FAMILY}
    async with store.unit() as unit:
        await unit.connection.execute(
            text("INSERT INTO people (id, telegram_id, language, created_at, updated_at) "
                 "VALUES (1, 30, 'fr', :now, :now)"), {"now": clock()}
        )  # fmt: skip
        for case_id, given in ((1, answers), (2, {"full_name": "Ali"})):
            await unit.connection.execute(
                insert(PreRegistration.__table__).values(
                    id=case_id, reference=f"AVR-2026-0000{case_id}", person_id=1,
                    status="submitted", language="fr", flow_version="1", answers=given,
                    answered_at={}, created_at=clock(), updated_at=clock(),
                )
            )  # fmt: skip
    await store.upgrade()
    async with store.unit() as unit:
        found = [(m.name, m.relationship, m.date_of_birth) for m in await members.of_case(unit, 1)]
        assert await members.of_case(unit, 2) == []
        assert await members.people(unit, [1, 2]) == 4
    await store.close()
    assert found == [("Moussa Diallo", "spouse", "1988-03-02"), ("Fanta Diallo", "child", "2019")]


async def test_what_the_person_writes_goes_to_their_case_not_to_its_closed_duplicate(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    older = await new_case(bot, clock, 900)
    async with bot.store.unit() as unit:
        person = await people.find(unit, 900)
        assert person is not None
        again = Submission({"full_name": "Awa Diallo"}, {}, (), "1", "awa diallo 900")
        newer = await cases.submit(unit, person, again, "AVR", clock())
        await cases.change_status(unit, newer, "duplicate", "amina", "", None, clock())
    phone = phone_factory(900, "fr")
    await phone.say("Je suis toujours à Rabat.")
    await phone.say("/human")
    async with bot.store.unit() as unit:
        kept = {c.reference: c for c in await cases.of_person(unit, person.id)}
        on_older = [m.body for m in await messages.of_case(unit, older.id)]
        on_newer = [m.body for m in await messages.of_case(unit, kept[newer.reference].id)]
    assert on_older == ["Je suis toujours à Rabat."] and on_newer == []
    assert "wants_human" in kept[older.reference].flags
    assert "wants_human" not in kept[newer.reference].flags
