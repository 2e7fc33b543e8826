"""The departure's reconfirmation, as rows: planned, sent, answered or not.

A sweep acts on the rows due (bot/departures.py). Every change is a conditional UPDATE
on the row's status, so two sweeps (or a sweep and a tap) never both act on one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from bot.store.tables import flags, people, pre_registrations, reconfirmations
from bot.store.unit import Unit

PLANNED, SENT, ANSWERED, NO_ANSWER, CANCELLED = (
    "planned",
    "sent",
    "answered",
    "no_answer",
    "cancelled",
)
OPEN = (PLANNED, SENT)
ANSWERABLE = (SENT, NO_ANSWER)  # a late answer still counts


@dataclass(frozen=True)
class ReconfirmationRecord:
    id: int
    pre_registration_id: int
    flight_at: datetime
    status: str
    due_at: datetime
    sent_at: datetime | None
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class Due:
    """A due row, with what the sweep needs to act on it."""

    row: ReconfirmationRecord
    reference: str
    telegram_id: int
    language: str


_COLUMNS = [reconfirmations.c[f] for f in ReconfirmationRecord.__dataclass_fields__]


async def of_case(unit: Unit, case_id: int) -> list[ReconfirmationRecord]:
    result = await unit.connection.execute(
        select(*_COLUMNS)
        .where(reconfirmations.c.pre_registration_id == case_id)
        .order_by(reconfirmations.c.id)
    )
    return [ReconfirmationRecord(*row[: len(_COLUMNS)]) for row in result]


async def by_id(unit: Unit, row_id: int) -> ReconfirmationRecord | None:
    result = await unit.connection.execute(select(*_COLUMNS).where(reconfirmations.c.id == row_id))
    row = result.first()
    return ReconfirmationRecord(*row[: len(_COLUMNS)]) if row else None


async def owner(unit: Unit, row_id: int) -> int | None:
    """The Telegram id of the person whose case the row is about."""
    result = await unit.connection.execute(
        select(people.c.telegram_id)
        .select_from(reconfirmations)
        .join(pre_registrations, pre_registrations.c.id == reconfirmations.c.pre_registration_id)
        .join(people, people.c.id == pre_registrations.c.person_id)
        .where(reconfirmations.c.id == row_id)
    )
    return result.scalar()


async def plan(
    unit: Unit, case_id: int, flight_at: datetime, due_at: datetime, now: datetime
) -> bool:
    """One open row for this flight: an open row for another flight is cancelled; a planned
    one for this flight moves to `due_at`; one already asked about it stays. Whether a
    row was planned or moved."""
    open_rows = [r for r in await of_case(unit, case_id) if r.status in OPEN]
    same = [r for r in open_rows if r.flight_at == flight_at]
    others = [r.id for r in open_rows if r.flight_at != flight_at]
    if others:
        await _cancel(unit, others, now)
    done = [
        r
        for r in await of_case(unit, case_id)
        if r.flight_at == flight_at and r.status in (ANSWERED, NO_ANSWER)
    ]
    if done:  # asked about this very flight already
        return False
    if same:
        if same[0].status != PLANNED:
            return False
        await unit.connection.execute(
            update(reconfirmations)
            .where(reconfirmations.c.id == same[0].id, reconfirmations.c.status == PLANNED)
            .values(due_at=due_at, updated_at=now)
        )
        return True
    await unit.connection.execute(
        insert(reconfirmations).values(
            pre_registration_id=case_id,
            flight_at=flight_at,
            status=PLANNED,
            due_at=due_at,
            updated_at=now,
        )
    )
    return True


async def cancel(unit: Unit, case_id: int, now: datetime) -> int:
    """Cancel the case's open rows (not sent yet, or waiting for an answer)."""
    ids = [r.id for r in await of_case(unit, case_id) if r.status in OPEN]
    return await _cancel(unit, ids, now) if ids else 0


async def _cancel(unit: Unit, ids: list[int], now: datetime) -> int:
    result = await unit.connection.execute(
        update(reconfirmations)
        .where(reconfirmations.c.id.in_(ids), reconfirmations.c.status.in_(OPEN))
        .values(status=CANCELLED, updated_at=now)
    )
    return result.rowcount


async def due(unit: Unit, now: datetime, limit: int) -> list[Due]:
    """Open rows due now, soonest first, with their person's address."""
    result = await unit.connection.execute(
        select(*_COLUMNS, pre_registrations.c.reference, people.c.telegram_id, people.c.language)
        .join(pre_registrations, pre_registrations.c.id == reconfirmations.c.pre_registration_id)
        .join(people, people.c.id == pre_registrations.c.person_id)
        .where(reconfirmations.c.status.in_(OPEN), reconfirmations.c.due_at <= now)
        .order_by(reconfirmations.c.due_at, reconfirmations.c.id)
        .limit(limit)
    )
    width = len(_COLUMNS)
    return [Due(ReconfirmationRecord(*row[:width]), *row[width:]) for row in result]


async def mark_sent(unit: Unit, row_id: int, now: datetime, answer_by: datetime) -> bool:
    """Planned -> sent, waiting for an answer until `answer_by`; False if another got it."""
    result = await unit.connection.execute(
        update(reconfirmations)
        .where(reconfirmations.c.id == row_id, reconfirmations.c.status == PLANNED)
        .values(status=SENT, sent_at=now, due_at=answer_by, updated_at=now)
    )
    return result.rowcount == 1


async def mark_unanswered(unit: Unit, row_id: int, now: datetime) -> bool:
    result = await unit.connection.execute(
        update(reconfirmations)
        .where(reconfirmations.c.id == row_id, reconfirmations.c.status == SENT)
        .values(status=NO_ANSWER, updated_at=now)
    )
    return result.rowcount == 1


async def mark_answered(unit: Unit, row_id: int, answer: str, now: datetime) -> bool:
    """The person's answer, once: False if the row waits for none (old or cancelled)."""
    result = await unit.connection.execute(
        update(reconfirmations)
        .where(reconfirmations.c.id == row_id, reconfirmations.c.status.in_(ANSWERABLE))
        .values(status=ANSWERED, answer=answer, answered_at=now, updated_at=now)
    )
    return result.rowcount == 1


async def remove_flag(unit: Unit, case_id: int, name: str) -> None:
    unit.touch(case_id)
    await unit.connection.execute(
        delete(flags).where(flags.c.pre_registration_id == case_id, flags.c.flag == name)
    )
