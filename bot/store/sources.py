"""Outreach sources: the partners' links to the bot, and their anonymous counts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from bot.store.tables import outreach_sources, people, pre_registrations
from bot.store.unit import Unit

STARTED, DECLINED, SUBMITTED = "started", "declined", "submitted"
COUNTS = (STARTED, DECLINED, SUBMITTED)


@dataclass(frozen=True)
class SourceRecord:
    id: int
    name: str
    code: str
    created_by: str
    created_at: datetime
    started: int
    declined: int
    submitted: int


_COLUMNS = [outreach_sources.c[f] for f in SourceRecord.__dataclass_fields__]


async def add(unit: Unit, name: str, code: str, created_by: str, now: datetime) -> SourceRecord:
    """A new source, its counts at zero."""
    result = await unit.connection.execute(
        insert(outreach_sources)
        .values(
            name=name,
            code=code,
            created_by=created_by,
            created_at=now,
            started=0,
            declined=0,
            submitted=0,
        )
        .returning(outreach_sources.c.id)
    )
    return SourceRecord(result.scalar_one(), name, code, created_by, now, 0, 0, 0)


async def everything(unit: Unit) -> list[SourceRecord]:
    """Every source, newest first."""
    result = await unit.connection.execute(select(*_COLUMNS).order_by(outreach_sources.c.id.desc()))
    return [SourceRecord(**row) for row in result.mappings()]


async def by_id(unit: Unit, source_id: int) -> SourceRecord | None:
    result = await unit.connection.execute(
        select(*_COLUMNS).where(outreach_sources.c.id == source_id)
    )
    row = result.mappings().first()
    return SourceRecord(**row) if row else None


async def id_of(unit: Unit, code: str) -> int | None:
    """The source a /start code names, if any."""
    result = await unit.connection.execute(
        select(outreach_sources.c.id).where(outreach_sources.c.code == code)
    )
    return result.scalar_one_or_none()


async def names(unit: Unit) -> dict[int, str]:
    """Each source's name, by id."""
    result = await unit.connection.execute(select(outreach_sources.c.id, outreach_sources.c.name))
    return {int(row.id): str(row.name) for row in result}


async def count(unit: Unit, source_id: int | None, what: str) -> None:
    """One more person began, declined or sent a request by this source (no one's row)."""
    if source_id is None:
        return
    if what not in COUNTS:
        raise ValueError(what)
    column = outreach_sources.c[what]
    await unit.connection.execute(
        update(outreach_sources)
        .where(outreach_sources.c.id == source_id)
        .values({what: column + 1})
    )


CODE_LENGTH = 16  # characters of a code: 96 random bits, in Telegram's start alphabet


def well_formed(code: str) -> bool:
    """Whether a /start parameter could be a code at all (else not worth a query)."""
    return len(code) == CODE_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in code
    )


def new_code() -> str:
    """A random code for a new source: nobody can guess another partner's link."""
    return secrets.token_urlsafe(CODE_LENGTH * 3 // 4)


@dataclass(frozen=True)
class Reach:
    """How a case's person came, and whether they stopped the bot."""

    source: str | None  # the outreach source's name
    stopped_at: datetime | None  # when the person blocked the bot, while they still do


async def reach(unit: Unit, case_id: int) -> Reach:
    result = await unit.connection.execute(
        select(outreach_sources.c.name, people.c.unreachable_at)
        .select_from(pre_registrations)
        .join(people, people.c.id == pre_registrations.c.person_id)
        .outerjoin(outreach_sources, outreach_sources.c.id == pre_registrations.c.source_id)
        .where(pre_registrations.c.id == case_id)
    )
    row = result.first()
    return Reach(row.name, row.unreachable_at) if row else Reach(None, None)
