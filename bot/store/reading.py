"""Which of the person's messages the case's caseworker has not opened yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update

from bot.store.tables import case_messages
from bot.store.unit import Unit

_m = case_messages.c


def unread() -> ColumnElement[bool]:
    """The condition of a message from the person still unread (its partial index's)."""
    return and_(_m.direction == "in", _m.read_at.is_(None))


async def mark_read(unit: Unit, case_id: int, now: datetime) -> int:
    """Mark the case's unread messages from the person read; how many there were."""
    result = await unit.connection.execute(
        update(case_messages).where(_m.pre_registration_id == case_id, unread()).values(read_at=now)
    )
    return int(result.rowcount or 0)


async def counts(unit: Unit, case_ids: list[int]) -> dict[int, int]:
    """The number of unread messages from the person, by case (cases with none left out)."""
    if not case_ids:
        return {}
    result = await unit.connection.execute(
        select(_m.pre_registration_id, func.count())
        .where(_m.pre_registration_id.in_(case_ids), unread())
        .group_by(_m.pre_registration_id)
    )
    return {int(case_id): int(n) for case_id, n in map(tuple, result.all())}
