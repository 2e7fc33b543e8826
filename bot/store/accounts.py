"""Dashboard accounts: one per caseworker or supervisor."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from bot.roles import ROLES
from bot.store.models import Account, Base, SignIn, SignInFailure
from bot.store.unit import Unit

accounts = Base.metadata.tables[Account.__tablename__]
sign_ins = Base.metadata.tables[SignIn.__tablename__]
failures = Base.metadata.tables[SignInFailure.__tablename__]


@dataclass(frozen=True)
class AccountRecord:
    id: int
    username: str
    password_hash: str
    role: str
    language: str
    active: bool
    must_change_password: bool = False  # signed in with a temporary password


def _record(row: object) -> AccountRecord:
    r = row._mapping  # type: ignore[attr-defined]
    return AccountRecord(
        r["id"],
        r["username"],
        r["password_hash"],
        r["role"],
        r["language"],
        r["active"],
        r["must_change_password"],
    )


async def add_account(
    unit: Unit, username: str, password_hash: str, role: str, language: str, now: datetime
) -> AccountRecord:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(sorted(ROLES))}, not {role!r}")
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
    """Activate or deactivate; deactivating signs the account out everywhere for good."""
    await unit.connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(active=active)
    )
    if not active:
        await unit.connection.execute(delete(sign_ins).where(sign_ins.c.account_id == account_id))


async def sign_in(unit: Unit, account_id: int, now: datetime, lifetime: timedelta) -> str | None:
    """Record a new sign-in and return its token, for the browser's cookie only; None if
    the account is not active (deactivated while its password was being checked)."""
    # The account row stays locked until commit: a deactivation either came first and is
    # seen here, or waits and then deletes this sign-in.
    active = select(accounts.c.active).where(accounts.c.id == account_id)
    if not (await unit.connection.execute(active.with_for_update(read=True))).scalar():
        return None
    expired = (sign_ins.c.account_id == account_id) & (sign_ins.c.expires_at <= now)
    await unit.connection.execute(delete(sign_ins).where(expired))
    token = secrets.token_urlsafe(32)
    values = {
        "token_hash": _token_hash(token),
        "account_id": account_id,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    await unit.connection.execute(insert(sign_ins).values(values))
    return token


async def by_sign_in(unit: Unit, token: str, now: datetime) -> AccountRecord | None:
    """The account signed in with this token, if the sign-in is still current."""
    query = (
        select(accounts)
        .join(sign_ins, sign_ins.c.account_id == accounts.c.id)
        .where(sign_ins.c.token_hash == _token_hash(token), sign_ins.c.expires_at > now)
    )
    row = (await unit.connection.execute(query)).first()
    return _record(row) if row else None


async def sign_out(unit: Unit, token: str) -> None:
    await unit.connection.execute(
        delete(sign_ins).where(sign_ins.c.token_hash == _token_hash(token))
    )


def _token_hash(token: str) -> str:
    """Only a hash is stored: a copy of the table does not sign anyone in."""
    return hashlib.sha256(token.encode()).hexdigest()


async def add_sign_in_attempt(
    unit: Unit, keys: Sequence[str], now: datetime, since: datetime
) -> list[int]:
    """Record an attempt under each key, as a failure until it succeeds; attempts older than
    `since` are forgotten. Returns the rows, to drop if the attempt is refused."""
    # Rows another process is deleting at the same moment are left to it: no waiting.
    stale = select(failures.c.id).where(failures.c.at < since).with_for_update(skip_locked=True)
    await unit.connection.execute(delete(failures).where(failures.c.id.in_(stale)))
    added = insert(failures).returning(failures.c.id)
    return [
        (await unit.connection.execute(added, {"key": key, "at": now})).scalar_one() for key in keys
    ]


async def sign_in_attempts(unit: Unit, keys: Sequence[str], since: datetime) -> dict[str, int]:
    """How many attempts (failed, or still being checked) each key has had since then."""
    query = (
        select(failures.c.key, func.count().label("attempts"))
        .where(failures.c.key.in_(keys), failures.c.at >= since)
        .group_by(failures.c.key)
    )
    return {row.key: row.attempts for row in await unit.connection.execute(query)}


async def drop_sign_in_attempt(unit: Unit, rows: Sequence[int]) -> None:
    await unit.connection.execute(delete(failures).where(failures.c.id.in_(rows)))


async def forget_failed_sign_ins(unit: Unit, key: str) -> None:
    await unit.connection.execute(delete(failures).where(failures.c.key == key))
