"""Red flags a caseworker has seen to: who, when, and their note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from bot.store.tables import flags
from bot.store.unit import Unit

_f = flags.c


@dataclass(frozen=True)
class Acknowledgement:
    by: str
    at: datetime
    note: str


async def acknowledge(
    unit: Unit, case_id: int, flag: str, actor: str, note: str, now: datetime
) -> bool:
    """Mark the case's flag seen to; False if the case has no such flag still open."""
    result = await unit.connection.execute(
        update(flags)
        .where(_f.pre_registration_id == case_id, _f.flag == flag, _f.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=actor, acknowledged_note=note)
    )
    if result.rowcount:
        unit.touch(case_id)
    return bool(result.rowcount)


async def reopen(unit: Unit, case_id: int, flag: str) -> bool:
    """The flag is raised again: it needs a caseworker again; False if it was not seen to."""
    result = await unit.connection.execute(
        update(flags)
        .where(_f.pre_registration_id == case_id, _f.flag == flag, _f.acknowledged_at.is_not(None))
        .values(acknowledged_at=None, acknowledged_by=None, acknowledged_note=None)
    )
    if result.rowcount:
        unit.touch(case_id)
    return bool(result.rowcount)


async def of_case(unit: Unit, case_id: int) -> dict[str, Acknowledgement]:
    """The case's acknowledged flags, by name."""
    result = await unit.connection.execute(
        select(_f.flag, _f.acknowledged_by, _f.acknowledged_at, _f.acknowledged_note).where(
            _f.pre_registration_id == case_id, _f.acknowledged_at.is_not(None)
        )
    )
    return {
        name: Acknowledgement(by or "", at, note or "")
        for name, by, at, note in map(tuple, result.all())
    }
