"""Dashboard accounts: one per caseworker or supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from bot.store.models import Account, Base
from bot.store.repository import Unit

ROLES = ("caseworker", "supervisor")
accounts = Base.metadata.tables[Account.__tablename__]


@dataclass(frozen=True)
class AccountRecord:
    id: int
    username: str
    password_hash: str
    role: str
    language: str
    active: bool


def _record(row: object) -> AccountRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return AccountRecord(
        r["id"], r["username"], r["password_hash"], r["role"], r["language"], r["active"]
    )


async def add_account(
    unit: Unit, username: str, password_hash: str, role: str, language: str, now: datetime
) -> AccountRecord:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    values = {
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "language": language,
        "active": True,
        "created_at": now,
    }
    result = await unit.connection.execute(insert(accounts).values(values).returning(accounts.c.id))
    return AccountRecord(result.scalar_one(), username, password_hash, role, language, True)


async def by_username(unit: Unit, username: str) -> AccountRecord | None:
    row = (
        await unit.connection.execute(select(accounts).where(accounts.c.username == username))
    ).first()
    return _record(row) if row else None


async def by_id(unit: Unit, account_id: int) -> AccountRecord | None:
    row = (
        await unit.connection.execute(select(accounts).where(accounts.c.id == account_id))
    ).first()
    return _record(row) if row else None


async def set_language(unit: Unit, account_id: int, language: str) -> None:
    await unit.connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(language=language)
    )


async def all_accounts(unit: Unit) -> list[AccountRecord]:
    result = await unit.connection.execute(select(accounts).order_by(accounts.c.username))
    return [_record(row) for row in result]


async def set_active(unit: Unit, account_id: int, active: bool) -> None:
    await unit.connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(active=active)
    )
