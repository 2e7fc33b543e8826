"""Case references: a prefix, the year, and a number counted per prefix and year."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from bot.store.tables import counters
from bot.store.unit import Unit


async def next_reference(unit: Unit, prefix: str, year: int) -> str:
    """The next free reference, such as AVR-2026-00042."""
    bump = (
        update(counters)
        .where(counters.c.prefix == prefix, counters.c.year == year)
        .values(last=counters.c.last + 1)
        .returning(counters.c.last)
    )
    number = (await unit.connection.execute(bump)).scalar_one_or_none()
    if number is None:
        try:
            async with unit.connection.begin_nested():
                await unit.connection.execute(
                    insert(counters).values(prefix=prefix, year=year, last=1)
                )
            number = 1
        except IntegrityError:  # another process created this year's counter first
            number = (await unit.connection.execute(bump)).scalar_one()
    return f"{prefix}-{year}-{number:05d}"
