"""Caseworkers' notes on a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from bot.store.tables import case_notes
from bot.store.unit import Unit


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: datetime


async def add(unit: Unit, case_id: int, author: str, body: str, now: datetime) -> None:
    """Add a note to a case."""
    await unit.connection.execute(
        insert(case_notes).values(
            pre_registration_id=case_id, author=author, body=body.strip(), created_at=now
        )
    )


async def of_case(unit: Unit, case_id: int) -> list[Note]:
    """A case's notes, oldest first."""
    result = await unit.connection.execute(
        select(case_notes.c.author, case_notes.c.body, case_notes.c.created_at)
        .where(case_notes.c.pre_registration_id == case_id)
        .order_by(case_notes.c.created_at, case_notes.c.id)
    )
    return [Note(**row) for row in result.mappings()]
