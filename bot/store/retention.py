"""What is kept, and for how long: the queries behind the daily retention job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, select, update

from bot.engine.session import ACTIVE
from bot.status import CLOSED
from bot.store import statistics
from bot.store.models import equals_constant
from bot.store.people import erase_raw
from bot.store.tables import people, pre_registrations, sessions
from bot.store.unit import Unit


@dataclass(frozen=True)
class Unfinished:
    session_id: int
    telegram_id: int
    language: str


def _over_since(before: datetime) -> ColumnElement[bool]:
    return pre_registrations.c.status.in_(CLOSED) & (pre_registrations.c.status_changed_at < before)


def _abandoned(before: datetime) -> ColumnElement[bool]:
    """An intake (not a correction, not a check-in) untouched since `before`."""
    return (
        sessions.c.pre_registration_id.is_(None)
        & sessions.c.followup_id.is_(None)
        & (sessions.c.updated_at < before)
    )


def _forgettable() -> ColumnElement[bool]:
    """People with no request and no conversation left: nothing to keep them for."""
    has_case = exists().where(pre_registrations.c.person_id == people.c.id)
    has_session = exists().where(sessions.c.person_id == people.c.id)
    return ~has_case & ~has_session


async def count_expired(
    unit: Unit, cases_before: datetime, intakes_before: datetime
) -> tuple[int, int]:
    """(cases over for long enough, abandoned intakes): what `erase_expired` would erase."""
    cases = await unit.connection.execute(
        select(func.count()).select_from(pre_registrations).where(_over_since(cases_before))
    )
    intakes = await unit.connection.execute(
        select(func.count()).select_from(sessions).where(_abandoned(intakes_before))
    )
    return cases.scalar_one(), intakes.scalar_one()


async def erase_expired(
    unit: Unit, cases_before: datetime, intakes_before: datetime
) -> tuple[int, int, int]:
    """Erase them, then the people left with nothing: (cases, intakes, people). The
    cases' anonymous statistics are refreshed first, and stay."""
    expired = await unit.connection.execute(
        select(pre_registrations.c.id).where(_over_since(cases_before))
    )
    await statistics.refresh(unit, expired.scalars().all())
    cases = await unit.connection.execute(
        delete(pre_registrations).where(_over_since(cases_before))
    )
    intakes = await unit.connection.execute(delete(sessions).where(_abandoned(intakes_before)))
    gone = await unit.connection.execute(
        delete(people).where(_forgettable()).returning(people.c.telegram_id)
    )
    telegram_ids = gone.scalars().all()
    await erase_raw(unit, telegram_ids)
    return cases.rowcount, intakes.rowcount, len(telegram_ids)


async def unfinished(unit: Unit, before: datetime, not_before: datetime) -> list[Unfinished]:
    """Intakes left between `not_before` and `before`, never reminded."""
    result = await unit.connection.execute(
        select(sessions.c.id, people.c.telegram_id, people.c.language)
        .join(people, people.c.id == sessions.c.person_id)
        .where(
            equals_constant(sessions.c.status, ACTIVE),
            _abandoned(before),
            sessions.c.updated_at >= not_before,
            sessions.c.reminded_at.is_(None),
            people.c.unreachable_at.is_(None),
        )
        .order_by(sessions.c.id)
    )
    return [Unfinished(row.id, row.telegram_id, row.language) for row in result]


async def mark_reminded(unit: Unit, session_id: int, now: datetime) -> None:
    await unit.connection.execute(
        update(sessions).where(sessions.c.id == session_id).values(reminded_at=now)
    )
