"""The inbox: Telegram's updates, stored before Telegram is told they arrived.

Each chat's updates are handled in order, across processes: an update can be claimed only
when no earlier update of its chat is still unhandled. A claim is a lease in the claiming
process's name (`claimed_by`); on PostgreSQL, `FOR UPDATE SKIP LOCKED` keeps two processes
off one row, and on SQLite the claiming UPDATE holds the write lock, so it is atomic too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.tables import inbox
from bot.store.unit import Unit


@dataclass(frozen=True)
class Received:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


# The statements run for every update, built once.
_ADD = {
    "sqlite": sqlite_insert(inbox)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(inbox.c.update_id),
    "postgresql": pg_insert(inbox)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(inbox.c.update_id),
}
_EARLIER = inbox.alias("earlier")
_AVAILABLE = (
    select(inbox.c.update_id)
    .where(
        inbox.c.done_at.is_(None),
        or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until < bindparam("now")),
        ~exists().where(
            _EARLIER.c.chat_id == inbox.c.chat_id,
            _EARLIER.c.done_at.is_(None),
            _EARLIER.c.update_id < inbox.c.update_id,
        ),
    )
    .order_by(inbox.c.update_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = (
    update(inbox)
    .where(inbox.c.update_id.in_(_AVAILABLE.scalar_subquery()))
    .values(claimed_by=bindparam("worker"), claimed_until=bindparam("until"))
    .returning(inbox.c.update_id, inbox.c.chat_id, inbox.c.payload)
)
_DONE = (
    update(inbox)
    .where(inbox.c.update_id == bindparam("update"), inbox.c.done_at.is_(None))
    .values(
        done_at=bindparam("now"), chat_id=None, payload=null(), claimed_by=None, claimed_until=None
    )
)


async def add(unit: Unit, updates: list[Received], now: datetime) -> list[int]:
    """Store updates not stored yet; the ids of those that were new (a repeat is ignored)."""
    if not updates:
        return []
    rows = [
        {"update_id": u.update_id, "chat_id": u.chat_id, "payload": u.payload, "received_at": now}
        for u in updates
    ]
    result = await unit.connection.execute(_ADD[unit.dialect], rows)
    return sorted(result.scalars())


async def claim(
    unit: Unit, worker: str, now: datetime, until: datetime, limit: int
) -> list[Received]:
    """Claim up to `limit` updates, oldest first, each the earliest unhandled of its chat."""
    result = await unit.connection.execute(
        _CLAIM, {"now": now, "limit": limit, "worker": worker, "until": until}
    )
    rows = [Received(r.update_id, r.chat_id, r.payload) for r in result if r.payload is not None]
    return sorted(rows, key=lambda r: r.update_id)


async def done(unit: Unit, update_id: int, now: datetime) -> None:
    """The update is handled: its content and chat go (nothing in the row leads to the
    person any more), its id stays against a repeat."""
    await unit.connection.execute(_DONE, {"update": update_id, "now": now})


async def release(unit: Unit, worker: str) -> int:
    """Give up this process's claims (at start, after a crash): they are handled again."""
    result = await unit.connection.execute(
        update(inbox)
        .where(inbox.c.claimed_by == worker, inbox.c.done_at.is_(None))
        .values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount


async def prune(unit: Unit, before: datetime) -> int:
    """Forget updates handled before `before`; how many went."""
    result = await unit.connection.execute(delete(inbox).where(inbox.c.done_at < before))
    return result.rowcount


async def oldest_waiting(unit: Unit) -> datetime | None:
    """When the oldest unhandled update arrived, if any."""
    query = select(func.min(inbox.c.received_at)).where(inbox.c.done_at.is_(None))
    return (await unit.connection.execute(query)).scalar_one_or_none()
