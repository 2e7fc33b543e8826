"""The audit log: who did what to which case, and when. Never personal data."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select

from bot.store.tables import audit_events
from bot.store.unit import Unit

_RECORD = insert(audit_events).values(
    {
        name: bindparam(name)
        for name in ("at", "actor", "action", "person_id", "pre_registration_id", "details")
    }
)


VIEWED = "case.viewed"


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


async def record(
    unit: Unit,
    action: str,
    now: datetime,
    *,
    actor: str = "bot",
    person_id: int | None = None,
    pre_registration_id: int | None = None,
    **details: Any,
) -> None:
    """Record an action. Never pass personal data in `details`."""
    await unit.connection.execute(
        _RECORD,
        {
            "at": now,
            "actor": actor,
            "action": action,
            "person_id": person_id,
            "pre_registration_id": pre_registration_id,
            "details": details,
        },
    )


async def has(unit: Unit, action: str, person_id: int) -> bool:
    """Was this action ever recorded for this person?"""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.id).where(e.action == action, e.person_id == person_id).limit(1)
    )
    return result.first() is not None


async def latest(unit: Unit, actions: Collection[str], since: datetime) -> AuditEntry | None:
    """The newest of these actions recorded since `since` (the index on `at` bounds the
    search), if any."""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.at, e.actor, e.action, e.details)
        .where(e.action.in_(actions), e.at >= since)
        .order_by(e.at.desc(), e.id.desc())
        .limit(1)
    )
    row = result.mappings().first()
    return AuditEntry(**row) if row else None


async def last_view(unit: Unit, case_id: int, actor: str) -> datetime | None:
    """When `actor` last opened the case's page, if ever."""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.at)
        .where(e.pre_registration_id == case_id, e.action == VIEWED, e.actor == actor)
        .order_by(e.at.desc(), e.id.desc())
        .limit(1)
    )
    return result.scalar()


async def trail(unit: Unit, case_id: int) -> list[AuditEntry]:
    """What was done to one case, oldest first."""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.at, e.actor, e.action, e.details)
        .where(e.pre_registration_id == case_id)
        .order_by(e.at, e.id)
    )
    return [AuditEntry(**row) for row in result.mappings()]


async def log(unit: Unit, page: int, per_page: int = 100) -> list[AuditEntry]:
    """The whole audit log, newest first."""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.at, e.actor, e.action, e.details)
        .order_by(e.at.desc(), e.id.desc())
        .limit(per_page)
        .offset((min(max(page, 1), 10_000) - 1) * per_page)
    )
    return [AuditEntry(**row) for row in result.mappings()]
