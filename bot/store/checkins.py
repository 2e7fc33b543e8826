"""Check-ins after return, as rows: planning, cancelling, and what happened to each.

Dispatchers claim due rows in bot.store.claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update

from bot.engine.scoring import Scores
from bot.flags import UNREACHABLE
from bot.status import Status
from bot.store import audit, cases
from bot.store.tables import flags, followups, people, pre_registrations
from bot.store.unit import Unit

PLANNED, SENDING, SENT = "planned", "sending", "sent"
ANSWERED, NO_REPLY, FAILED, CANCELLED = "answered", "no_reply", "failed", "cancelled"
WAITING = (PLANNED, SENT)  # what a dispatcher acts on when due
OPEN = (PLANNED, SENDING, SENT)
BLOCKED = "blocked"  # a reason: Telegram refused a message, the person blocked the bot


@dataclass(frozen=True)
class FollowupRecord:
    id: int
    pre_registration_id: int
    checkin: str
    status: str
    planned_for: datetime
    due_at: datetime
    attempts: int
    reminders: int
    sent_at: datetime | None
    answered_at: datetime | None
    answers: dict[str, Any]
    flags: list[str]
    reason: str | None


# The columns of a FollowupRecord, in order: queries select them first.
COLUMNS = [followups.c[f] for f in FollowupRecord.__dataclass_fields__]


def to_record(row: Any) -> FollowupRecord:
    """A row of `COLUMNS` (and perhaps more after them) as a record."""
    return FollowupRecord(*row[: len(COLUMNS)])


async def plan(unit: Unit, case_id: int, due: Iterable[tuple[str, datetime]], now: datetime) -> int:
    """Plan the case's check-ins at these UTC times. A check-in not yet sent moves to its
    new time; one already sent, answered or failed stays as it is. Returns how many rows
    are planned now."""
    unit.touch(case_id)
    existing = {
        row.checkin: row
        for row in await unit.connection.execute(
            select(followups.c.id, followups.c.checkin, followups.c.status).where(
                followups.c.pre_registration_id == case_id
            )
        )
    }
    count = 0
    for checkin, at in due:
        row = existing.get(checkin)
        if row is None:
            await unit.connection.execute(
                insert(followups).values(
                    pre_registration_id=case_id,
                    checkin=checkin,
                    status=PLANNED,
                    planned_for=at,
                    due_at=at,
                    attempts=0,
                    reminders=0,
                    answers={},
                    flags=[],
                    updated_at=now,
                )
            )
        elif row.status in (PLANNED, CANCELLED):
            await unit.connection.execute(
                update(followups)
                .where(followups.c.id == row.id, followups.c.status == row.status)
                .values(status=PLANNED, planned_for=at, due_at=at, reason=None, updated_at=now)
            )
        else:
            continue
        count += 1
    return count


async def cancel(
    unit: Unit,
    now: datetime,
    reason: str,
    *,
    case_id: int | None = None,
    person_id: int | None = None,
    checkins: Iterable[str] | None = None,
) -> int:
    """Cancel the check-ins not sent yet, of a case or of everything a person has."""
    query = update(followups).where(followups.c.status == PLANNED)
    if checkins is not None:
        query = query.where(followups.c.checkin.in_(list(checkins)))
    if case_id is not None:
        query = query.where(followups.c.pre_registration_id == case_id)
    if person_id is not None:
        query = query.where(
            followups.c.pre_registration_id.in_(
                select(pre_registrations.c.id).where(pre_registrations.c.person_id == person_id)
            )
        )
    result = await unit.connection.execute(
        query.values(status=CANCELLED, reason=reason, updated_at=now).returning(
            followups.c.pre_registration_id
        )
    )
    touched = result.scalars().all()
    for case_id in touched:
        unit.touch(case_id)
    return len(touched)


async def case_of(unit: Unit, followup_id: int) -> int | None:
    """The case a check-in belongs to (None once it is erased)."""
    result = await unit.connection.execute(
        select(followups.c.pre_registration_id).where(followups.c.id == followup_id)
    )
    return result.scalar()


async def resume(unit: Unit, person_id: int, now: datetime, not_before: datetime) -> int:
    """The person unblocked the bot: check-ins cancelled because a message was refused
    (403) are planned again, those already due as soon as possible, and their cases lose
    the "unreachable" flag. Only for a case still returned, and a check-in planned for
    `not_before` or later: a month-1 check-in is not sent at month 6. Those paused while
    the person was unreachable are still planned, and the dispatcher takes them again by
    itself, unless planned before `not_before`: those are cancelled. How many are
    planned again."""
    theirs = select(pre_registrations.c.id).where(pre_registrations.c.person_id == person_id)
    returned = select(pre_registrations.c.id).where(
        pre_registrations.c.person_id == person_id, pre_registrations.c.status == Status.RETURNED
    )
    for case_id in (await unit.connection.execute(theirs)).scalars():
        unit.touch(case_id)  # check-ins and the "unreachable" flag change
    # Paused while they were away, and too old now: not sent late, all at once.
    await unit.connection.execute(
        update(followups)
        .where(
            followups.c.pre_registration_id.in_(theirs),
            followups.c.status.in_((PLANNED, SENT)),  # SENT: its reminder waited
            followups.c.planned_for < not_before,
        )
        .values(status=CANCELLED, reason=BLOCKED, claimed_until=None, updated_at=now)
    )
    result = await unit.connection.execute(
        update(followups)
        .where(
            followups.c.pre_registration_id.in_(returned),
            followups.c.status == CANCELLED,
            followups.c.reason == BLOCKED,
            followups.c.planned_for >= not_before,
        )
        .values(
            status=PLANNED,
            reason=None,
            due_at=case((followups.c.planned_for > now, followups.c.planned_for), else_=now),
            updated_at=now,
        )
    )
    await unit.connection.execute(
        delete(flags).where(flags.c.pre_registration_id.in_(theirs), flags.c.flag == UNREACHABLE)
    )
    return result.rowcount


async def for_case(unit: Unit, case_id: int) -> list[FollowupRecord]:
    result = await unit.connection.execute(
        select(*COLUMNS)
        .where(followups.c.pre_registration_id == case_id)
        .order_by(followups.c.planned_for, followups.c.id)
    )
    return [to_record(row) for row in result]


async def listing(
    unit: Unit, *, due_before: datetime | None = None, limit: int = 100
) -> list[tuple[str, FollowupRecord]]:
    """(reference, row) for operators: the open rows, soonest first."""
    query = (
        select(pre_registrations.c.reference, *COLUMNS)
        .join(pre_registrations, pre_registrations.c.id == followups.c.pre_registration_id)
        .where(followups.c.status.in_(OPEN))
        .order_by(followups.c.due_at, followups.c.id)
        .limit(limit)
    )
    if due_before is not None:
        query = query.where(followups.c.due_at <= due_before)
    result = await unit.connection.execute(query)
    return [(row[0], to_record(row[1:])) for row in result]


async def counts(unit: Unit) -> dict[str, int]:
    result = await unit.connection.execute(
        select(followups.c.status, func.count().label("n")).group_by(followups.c.status)
    )
    return {str(row.status): int(row.n) for row in result}


async def update_row(unit: Unit, followup_id: int, now: datetime, **values: Any) -> None:
    """Change a check-in's row; a new status reaches its case's statistics."""
    statement = update(followups).where(followups.c.id == followup_id)
    if "status" not in values:
        await unit.connection.execute(statement.values(**values, updated_at=now))
        return
    result = await unit.connection.execute(
        statement.values(**values, updated_at=now).returning(followups.c.pre_registration_id)
    )
    for case_id in result.scalars():
        unit.touch(case_id)


async def answered(
    unit: Unit,
    followup_id: int,
    answers: dict[str, Any],
    raised: tuple[str, ...],
    now: datetime,
    scores: Scores | None = None,
) -> int | None:
    """A check-in's answers and reintegration scores reach its row; its flags reach the
    case, whose id is returned (None if the check-in is gone)."""
    scores = scores or Scores()
    result = await unit.connection.execute(
        update(followups)
        .where(followups.c.id == followup_id)
        .values(
            status=ANSWERED,
            answers=answers,
            flags=list(raised),
            answered_at=now,
            claimed_until=None,
            updated_at=now,
            score_economic=scores.economic,
            score_social=scores.social,
            score_psychosocial=scores.psychosocial,
            score_composite=scores.composite,
        )
        .returning(followups.c.pre_registration_id, followups.c.checkin)
    )
    row = result.first()
    if row is None:
        return None
    unit.touch(row.pre_registration_id)
    for flag in raised:
        await cases.add_flag(unit, row.pre_registration_id, flag)
    await audit.record(
        unit,
        "followup.answered",
        now,
        pre_registration_id=row.pre_registration_id,
        checkin=row.checkin,
        flags=len(raised),
        scored=scores.composite is not None,
    )
    unit.touch(row.pre_registration_id)  # a check-in answered, and its scores, are reported
    return int(row.pre_registration_id)


@dataclass(frozen=True)
class PlanningFacts:
    """What decides a case's check-ins."""

    status: str
    return_date: date | None
    time_zone: str | None
    country: str | None
    consent: bool
    unreachable: bool


async def planning_facts(unit: Unit, case_id: int) -> PlanningFacts | None:
    result = await unit.connection.execute(
        select(
            pre_registrations.c.status,
            pre_registrations.c.return_date,
            pre_registrations.c.time_zone,
            pre_registrations.c.answers,
            people.c.unreachable_at,
        )
        .join(people, people.c.id == pre_registrations.c.person_id)
        .where(pre_registrations.c.id == case_id)
    )
    row = result.first()
    if row is None:
        return None
    answers = row.answers or {}
    country = answers.get("destination_country") or answers.get("nationality")
    return PlanningFacts(
        status=row.status,
        return_date=row.return_date,
        time_zone=row.time_zone,
        country=country if isinstance(country, str) else None,
        consent=answers.get("followup_consent") is True,
        unreachable=row.unreachable_at is not None,
    )


async def set_return(
    unit: Unit, case_id: int, return_date: date | None, time_zone: str | None, now: datetime
) -> None:
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(return_date=return_date, time_zone=time_zone, updated_at=now)
    )
