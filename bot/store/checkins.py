"""Check-ins after return, as rows: planning, claiming, and what happened to each.

A row is claimed by a dispatcher with a lease (`claimed_until`) in one statement:
`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING` on PostgreSQL,
where two dispatchers skip each other's rows; on SQLite the same UPDATE, which holds the
database's write lock, so it is atomic too. A dispatcher that dies lets its leases lapse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from bot.engine.session import ACTIVE
from bot.store.models import equals_constant
from bot.store.repository import Unit
from bot.store.tables import followups, people, pre_registrations, sessions

PLANNED, SENDING, SENT = "planned", "sending", "sent"
ANSWERED, NO_REPLY, FAILED, CANCELLED = "answered", "no_reply", "failed", "cancelled"
WAITING = (PLANNED, SENT)  # what a dispatcher acts on when due
OPEN = (PLANNED, SENDING, SENT)


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


@dataclass(frozen=True)
class Claimed:
    """A claimed row, with what the dispatcher needs to act on it."""

    followup: FollowupRecord
    lease: datetime  # this claim's claimed_until: whoever holds it owns the row
    person_id: int
    telegram_id: int
    language: str
    reference: str
    country: str | None
    time_zone: str | None


_RECORD_COLUMNS = [followups.c[f] for f in FollowupRecord.__dataclass_fields__]


def _record(row: Any) -> FollowupRecord:
    return FollowupRecord(*row[: len(_RECORD_COLUMNS)])


async def plan(unit: Unit, case_id: int, due: Iterable[tuple[str, datetime]], now: datetime) -> int:
    """Plan the case's check-ins at these UTC times. A check-in not yet sent moves to its
    new time; one already sent, answered or failed stays as it is. Returns how many rows
    are planned now."""
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
        query.values(status=CANCELLED, reason=reason, updated_at=now)
    )
    return result.rowcount


async def for_case(unit: Unit, case_id: int) -> list[FollowupRecord]:
    result = await unit.connection.execute(
        select(*_RECORD_COLUMNS)
        .where(followups.c.pre_registration_id == case_id)
        .order_by(followups.c.planned_for, followups.c.id)
    )
    return [_record(row) for row in result]


async def listing(
    unit: Unit, *, due_before: datetime | None = None, limit: int = 100
) -> list[tuple[str, FollowupRecord]]:
    """(reference, row) for operators: the open rows, soonest first."""
    query = (
        select(pre_registrations.c.reference, *_RECORD_COLUMNS)
        .join(pre_registrations, pre_registrations.c.id == followups.c.pre_registration_id)
        .where(followups.c.status.in_(OPEN))
        .order_by(followups.c.due_at, followups.c.id)
        .limit(limit)
    )
    if due_before is not None:
        query = query.where(followups.c.due_at <= due_before)
    result = await unit.connection.execute(query)
    return [(row[0], _record(row[1:])) for row in result]


async def counts(unit: Unit) -> dict[str, int]:
    result = await unit.connection.execute(
        select(followups.c.status, func.count().label("n")).group_by(followups.c.status)
    )
    return {str(row.status): int(row.n) for row in result}


# The dispatcher's statements


async def recover(unit: Unit, now: datetime, reminder_at: datetime) -> int:
    """Rows a dead dispatcher was sending: take them as sent. If the message never left,
    the reminder asks the same question later; sending again now could send it twice."""
    result = await unit.connection.execute(
        update(followups)
        .where(equals_constant(followups.c.status, SENDING), followups.c.claimed_until < now)
        .values(status=SENT, claimed_until=None, due_at=reminder_at, updated_at=now)
    )
    return result.rowcount


async def claim(unit: Unit, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Lease up to `limit` due rows to this dispatcher, soonest first."""
    due = (
        select(followups.c.id)
        .where(
            followups.c.status.in_(WAITING),
            followups.c.due_at <= now,
            or_(followups.c.claimed_until.is_(None), followups.c.claimed_until < now),
        )
        .order_by(followups.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)  # renders nothing on SQLite, where it is not needed
    )
    result = await unit.connection.execute(
        update(followups)
        .where(followups.c.id.in_(due.scalar_subquery()))
        .values(claimed_until=lease_until)
        .returning(followups.c.id)
    )
    ids = list(result.scalars())
    if not ids:
        return []
    rows = await unit.connection.execute(
        select(
            *_RECORD_COLUMNS,
            people.c.id,
            people.c.telegram_id,
            people.c.language,
            pre_registrations.c.reference,
            pre_registrations.c.answers["destination_country"].as_string(),
            pre_registrations.c.time_zone,
        )
        .join(pre_registrations, pre_registrations.c.id == followups.c.pre_registration_id)
        .join(people, people.c.id == pre_registrations.c.person_id)
        .where(followups.c.id.in_(ids))
        .order_by(followups.c.due_at)
    )
    width = len(_RECORD_COLUMNS)
    return [Claimed(_record(row), lease_until, *row[width:]) for row in rows]


async def update_row(unit: Unit, followup_id: int, now: datetime, **values: Any) -> None:
    await unit.connection.execute(
        update(followups).where(followups.c.id == followup_id).values(**values, updated_at=now)
    )


# The statements run for every check-in sent, built once.
_START_SENDING = (
    update(followups)
    .where(followups.c.id == bindparam("row"), followups.c.claimed_until == bindparam("lease"))
    .values(
        status=SENDING,
        attempts=bindparam("attempts_"),
        reminders=bindparam("reminders_"),
        updated_at=bindparam("now"),
    )
)
_MARK_SENT = (
    update(followups)
    .where(followups.c.id == bindparam("row"), equals_constant(followups.c.status, SENDING))
    .values(
        status=SENT,
        sent_at=func.coalesce(
            followups.c.sent_at, bindparam("now", type_=followups.c.sent_at.type)
        ),
        attempts=0,
        due_at=bindparam("next_at"),
        claimed_until=None,
        updated_at=bindparam("now"),
    )
)
_BUSY = select(sessions.c.id).where(
    sessions.c.person_id == bindparam("person"),
    equals_constant(sessions.c.status, ACTIVE),
    or_(sessions.c.followup_id.is_(None), sessions.c.followup_id != bindparam("row")),
)


async def start_sending(
    unit: Unit, claimed: Claimed, now: datetime, attempts: int, reminders: int
) -> bool:
    """Mark the row "sending" if this claim still holds it (a lapsed lease may have let
    another dispatcher take it: then it is theirs, and this one must not send)."""
    result = await unit.connection.execute(
        _START_SENDING,
        {
            "row": claimed.followup.id,
            "lease": claimed.lease,
            "attempts_": attempts,
            "reminders_": reminders,
            "now": now,
        },
    )
    return result.rowcount == 1


async def mark_sent(unit: Unit, sent: list[int], now: datetime, next_at: datetime) -> None:
    """Rows whose message went out; one answered meanwhile stays answered."""
    if sent:
        params = [{"row": row, "now": now, "next_at": next_at} for row in sent]
        await unit.connection.execute(_MARK_SENT, params)


async def release(unit: Unit, followup_id: int, due_at: datetime, now: datetime) -> None:
    """Put a claimed row back, to act on at `due_at` (quiet hours, a busy person, a retry)."""
    await update_row(unit, followup_id, now, due_at=due_at, claimed_until=None)


async def person_busy(unit: Unit, person_id: int, followup_id: int) -> bool:
    """Is the person in the middle of another conversation with the bot?"""
    result = await unit.connection.execute(_BUSY, {"person": person_id, "row": followup_id})
    return result.first() is not None


async def checkin_session(unit: Unit, followup_id: int) -> Any:
    result = await unit.connection.execute(
        select(sessions.c.id, sessions.c.state, sessions.c.version).where(
            sessions.c.followup_id == followup_id
        )
    )
    return result.first()


async def end_checkin_sessions(
    unit: Unit, *, followup_id: int | None = None, person_id: int | None = None
) -> None:
    """Close the open check-in conversation(s) of a row or a person."""
    query = delete(sessions).where(sessions.c.followup_id.is_not(None))
    if followup_id is not None:
        query = query.where(sessions.c.followup_id == followup_id)
    if person_id is not None:
        query = query.where(sessions.c.person_id == person_id)
    await unit.connection.execute(query)


async def mark_unreachable(unit: Unit, person_id: int, now: datetime) -> None:
    await unit.connection.execute(
        update(people).where(people.c.id == person_id).values(unreachable_at=now, updated_at=now)
    )


async def answered(
    unit: Unit, followup_id: int, answers: dict[str, Any], raised: tuple[str, ...], now: datetime
) -> None:
    """A check-in's answers reach its row; its flags reach the case."""
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
        )
        .returning(followups.c.pre_registration_id, followups.c.checkin)
    )
    row = result.first()
    if row is None:
        return
    for flag in raised:
        await unit.add_flag(row.pre_registration_id, flag)
    await unit.audit(
        "followup.answered",
        now,
        pre_registration_id=row.pre_registration_id,
        checkin=row.checkin,
        flags=len(raised),
    )


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
