"""What a status move needs beyond the workflow's table, checked in its transaction:
acceptance after the counselling checklist (or a supervisor's override), into a funded
project or its waiting list when it is full, a refusal's reason, a duplicate's other case.
The rules are conversations/checklist.yaml's; this module reads
the case and records what was decided, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot import checklist as rules
from bot.checklist import Checklist
from bot.engine.flow import N_
from bot.roles import Role
from bot.status import Status, TransitionRefused
from bot.store import Unit, audit, cases, counselling, projects, twins

# Moves that place a case in a project: accepted into it, or on its waiting list.
PLACING = frozenset({Status.ACCEPTED, Status.WAITLISTED})


@dataclass(frozen=True)
class Decision:
    """The details a move may need: see StatusChange."""

    target: str
    note: str
    reason: str = ""  # a refusal reason's code, for "rejected"
    override: bool = False  # a supervisor accepts without a complete checklist
    duplicate_of: str = ""  # the other case's reference, for "duplicate"


async def check(
    unit: Unit,
    checklist: Checklist,
    case: cases.CaseRecord,
    decision: Decision,
    role: Role | None,
) -> cases.CaseRecord | None:
    """Raise TransitionRefused unless the move may happen; the other case, for a duplicate.
    A case leaving the waiting list was checked when it joined it."""
    if decision.target in PLACING and case.status != Status.WAITLISTED:
        missing = await missing_items(unit, checklist, case)
        if missing and not decision.override:
            raise TransitionRefused(rules.INCOMPLETE)
        if missing and role is not Role.SUPERVISOR:
            raise TransitionRefused(rules.SUPERVISORS_ONLY, "status")
        if missing and not decision.note.strip():
            raise TransitionRefused(rules.OVERRIDE_NOTE, "note")
    refusal = decision.target == Status.REJECTED and checklist.reasons
    if refusal and checklist.reason(decision.reason) is None:
        raise TransitionRefused(rules.REASON_REQUIRED, "reason")
    if decision.target == Status.DUPLICATE:
        other = await cases.by_reference(unit, decision.duplicate_of.strip().upper())
        if other is None or other.id == case.id or other.status == Status.DUPLICATE:
            raise TransitionRefused(
                N_("No such other case, or it is itself a duplicate."), "duplicate_of"
            )
        return other
    return None


async def missing_items(unit: Unit, checklist: Checklist, case: cases.CaseRecord) -> list[str]:
    """The ids of the checklist's required items a case has not done."""
    entries = await counselling.entries(unit, case.id)
    return [item.id for item in rules.progress(checklist, case.flags, entries).missing]


async def record(
    unit: Unit,
    checklist: Checklist,
    case: cases.CaseRecord,
    decision: Decision,
    other: cases.CaseRecord | None,
    actor: str,
    now: datetime,
) -> None:
    """Keep what the move decided, once the case has moved; audited without personal data."""
    if decision.target in PLACING and case.status != Status.WAITLISTED:
        missing = await missing_items(unit, checklist, case)
        if missing:
            await audit.record(unit, "case.checklist_overridden", now, actor=actor,
                               pre_registration_id=case.id, missing=missing)  # fmt: skip
    if decision.target == Status.REJECTED:
        reason = decision.reason if checklist.reason(decision.reason) else None
        await counselling.set_refusal_reason(unit, case.id, reason)
        if reason is not None:
            await audit.record(unit, "case.refusal_reason", now, actor=actor,
                               pre_registration_id=case.id, reason=reason)  # fmt: skip
    if decision.target == Status.DUPLICATE and other is not None:
        await twins.link(unit, case, other, actor, now)
        await counselling.set_duplicate_of(unit, case.id, other.id)
        await audit.record(unit, "case.closed_as_duplicate", now, actor=actor,
                           pre_registration_id=case.id, other_case=other.id)  # fmt: skip


@dataclass(frozen=True)
class Placement:
    """Where an accepted case goes: its project, and whether it waits for a place."""

    target: str  # the status the case takes: accepted, or waitlisted when the project is full
    project_id: int | None


async def place(
    unit: Unit,
    case: cases.CaseRecord,
    target: str,
    project_id: int | None,
    today: date,
    admitted: bool = False,
) -> Placement:
    """The status and project a move into `target` gives; raise TransitionRefused when the
    project is missing or, for a case already waiting, when it is not moved in from the
    list (`admitted`), is not first on it, or its people have no room yet. A new case
    accepted while others wait joins the list behind them."""
    if target not in PLACING:
        return Placement(target, None)
    if case.status == Status.WAITLISTED and target == Status.ACCEPTED and not admitted:
        raise TransitionRefused(
            N_("A case on a waiting list moves into its project from the project's page."),
            "status",
        )
    if project_id is None and case.status == Status.WAITLISTED:
        project_id = await projects.of_case(unit, case.id)
    if project_id is None:
        fitting = [p for p in await projects.every(unit) if p.covers(country(case), today)]
        if target == Status.WAITLISTED or fitting:
            raise TransitionRefused(N_("Choose the project the case joins."), "project")
        return Placement(target, None)
    project = await projects.by_id(unit, project_id, lock=True)
    if project is None:
        raise TransitionRefused(N_("Choose the project the case joins."), "project")
    used = (await projects.places_used(unit)).get(project.id, 0)
    full = used + await projects.people(unit, case.id) > project.capacity
    waiting = [w.case_id for w in await projects.waiting(unit, project.id)]
    if case.status != Status.WAITLISTED:
        full = full or bool(waiting)  # others wait for the next place: this one behind them
    elif target == Status.ACCEPTED and waiting and waiting[0] != case.id:
        raise TransitionRefused(
            N_("Cases that have waited longer move into the project first."), "project"
        )
    if target == Status.ACCEPTED and full and case.status == Status.WAITLISTED:
        raise TransitionRefused(
            N_("The project has no room yet for all the people of this case."), "project"
        )
    return Placement(Status.WAITLISTED if full else target, project.id)


def country(case: cases.CaseRecord) -> str | None:
    """The country a case returns to: its destination, or else its nationality."""
    found = case.answers.get("destination_country") or case.answers.get("nationality")
    return str(found).upper() if found else None
