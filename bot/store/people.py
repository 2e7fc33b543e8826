"""The people who write to the bot: one row per Telegram account."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, bindparam, delete, insert, select, update

from bot.store import statistics, tables, twins
from bot.store.unit import Unit

_people = tables.people

# Columns naming the Telegram chat of rows that hold a person's own words outside the
# tables that cascade from `people` (in a private chat, the chat's id is the person's):
# messages waiting in the outbox, which may quote their answers. Erasing a person erases
# those rows. (The inbox needs no entry: a handled update keeps neither its content nor
# its chat, and one not handled yet was written after the erasure.)
RAW_BY_CHAT: tuple[Column[int], ...] = (tables.outbox.c.chat_id,)


@dataclass(frozen=True)
class PersonRecord:
    id: int
    telegram_id: int
    language: str
    consent_version: str | None
    consented_at: datetime | None


def _person(row: Mapping[Any, Any]) -> PersonRecord:
    return PersonRecord(
        row["id"], row["telegram_id"], row["language"], row["consent_version"], row["consented_at"]
    )


async def find(unit: Unit, telegram_id: int) -> PersonRecord | None:
    """The person behind a Telegram account, if they ever wrote."""
    result = await unit.connection.execute(
        select(_people).where(_people.c.telegram_id == telegram_id)
    )
    row = result.mappings().first()
    return _person(row) if row else None


async def add(unit: Unit, telegram_id: int, language: str, now: datetime) -> PersonRecord:
    """A person writing for the first time."""
    values = {"telegram_id": telegram_id, "language": language}
    result = await unit.connection.execute(
        insert(_people).values(**values, created_at=now, updated_at=now).returning(_people.c.id)
    )
    return PersonRecord(result.scalar_one(), telegram_id, language, None, None)


async def change(unit: Unit, person: PersonRecord, now: datetime, **values: Any) -> None:
    """Change a person's columns (language, consent)."""
    await unit.connection.execute(
        update(_people).where(_people.c.id == person.id).values(**values, updated_at=now)
    )


async def erase(unit: Unit, person_id: int, now: datetime | None = None) -> None:
    """Delete a person and, by cascade, their sessions, cases and flags.

    Their cases' anonymous statistics are refreshed first, and stay (their link to the case
    is cut); given `now` (the person asked), a request still open counts as withdrawn then.
    Cases that were flagged as their possible duplicates lose the flag when no other twin
    is left.
    """
    theirs = select(tables.pre_registrations.c.id).where(
        tables.pre_registrations.c.person_id == person_id
    )
    case_ids = (await unit.connection.execute(theirs)).scalars().all()
    await statistics.refresh(unit, case_ids)
    if now is not None:
        await statistics.withdraw(unit, case_ids, now)
    left = await twins.of_person(unit, person_id)
    gone = await unit.connection.execute(
        delete(_people).where(_people.c.id == person_id).returning(_people.c.telegram_id)
    )
    await erase_raw(unit, gone.scalars().all())
    await twins.unflag_alone(unit, left)


async def erase_raw(
    unit: Unit, telegram_ids: Collection[int], columns: Sequence[Column[int]] = RAW_BY_CHAT
) -> None:
    """Erase the raw rows of these people's chats (see RAW_BY_CHAT)."""
    if not telegram_ids:
        return
    for column in columns:
        await unit.connection.execute(delete(column.table).where(column.in_(telegram_ids)))


async def blocked(unit: Unit, telegram_id: int, now: datetime) -> int | None:
    """The person stopped the bot (Telegram said so): marked unreachable, as a refused
    message marks them; their person id, or None if unknown or already marked."""
    result = await unit.connection.execute(
        update(_people)
        .where(_people.c.telegram_id == telegram_id, _people.c.unreachable_at.is_(None))
        .values(unreachable_at=now, updated_at=now)
        .returning(_people.c.id)
    )
    return result.scalar_one_or_none()


async def unblocked(unit: Unit, telegram_id: int, now: datetime) -> int | None:
    """The person let the bot write again; their person id, or None if they were not
    marked unreachable."""
    result = await unit.connection.execute(_UNBLOCK, {"who": telegram_id, "at": now})
    return result.scalar_one_or_none()


# Run for every update a person sends (bot/service.py): built once.
_UNBLOCK = (
    update(_people)
    .where(_people.c.telegram_id == bindparam("who"), _people.c.unreachable_at.is_not(None))
    .values(unreachable_at=None, updated_at=bindparam("at"))
    .returning(_people.c.id)
)


async def mark_unreachable(unit: Unit, person_id: int, now: datetime) -> None:
    """The person blocked the bot: nothing more is sent to them."""
    await unit.connection.execute(
        update(_people).where(_people.c.id == person_id).values(unreachable_at=now, updated_at=now)
    )
