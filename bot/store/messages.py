"""The messages between a case's caseworkers and the person, through the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from bot.store.tables import case_messages
from bot.store.unit import Unit


@dataclass(frozen=True)
class CaseMessage:
    direction: str
    author: str | None
    body: str
    delivered: bool
    created_at: datetime


async def add(
    unit: Unit,
    case_id: int,
    direction: str,
    author: str | None,
    body: str,
    delivered: bool,
    now: datetime,
) -> None:
    """Record a message sent to, or received from, the person of a case."""
    await unit.connection.execute(
        insert(case_messages).values(
            pre_registration_id=case_id,
            direction=direction,
            author=author,
            body=body,
            delivered=delivered,
            created_at=now,
        )
    )


async def of_case(unit: Unit, case_id: int) -> list[CaseMessage]:
    """A case's messages, oldest first."""
    c = case_messages.c
    result = await unit.connection.execute(
        select(c.direction, c.author, c.body, c.delivered, c.created_at)
        .where(c.pre_registration_id == case_id)
        .order_by(c.created_at, c.id)
    )
    return [CaseMessage(**row) for row in result.mappings()]
