"""Password resets: one-time links (only their hashes), and setting an account's password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from bot.store.models import Account, Base, PasswordReset, SignIn
from bot.store.unit import Unit

accounts = Base.metadata.tables[Account.__tablename__]
resets = Base.metadata.tables[PasswordReset.__tablename__]
sign_ins = Base.metadata.tables[SignIn.__tablename__]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_link(
    unit: Unit, account_id: int, created_by: str, now: datetime, lifetime: timedelta
) -> str:
    """A new link's token, for the supervisor to pass on; the account's older links stop
    working, and so do everyone's expired ones."""
    stale = (resets.c.account_id == account_id) | (resets.c.expires_at <= now)
    await unit.connection.execute(delete(resets).where(stale))
    token = secrets.token_urlsafe(32)
    values = {
        "token_hash": _hash(token),
        "account_id": account_id,
        "created_by": created_by,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    await unit.connection.execute(insert(resets).values(values))
    return token


async def link_account(unit: Unit, token: str, now: datetime) -> int | None:
    """The active account a link still opens, without using the link up."""
    query = (
        select(resets.c.account_id)
        .join(accounts, accounts.c.id == resets.c.account_id)
        .where(resets.c.token_hash == _hash(token), resets.c.expires_at > now, accounts.c.active)
    )
    found = (await unit.connection.execute(query)).scalar()
    return int(found) if found is not None else None


async def use_link(unit: Unit, token: str, now: datetime) -> int | None:
    """Use the link up and return its account; None if it is unknown, used or expired.

    The delete is the claim: of two uses at the same moment, only one gets the row.
    """
    account_id = await link_account(unit, token, now)
    if account_id is None:
        return None
    result = await unit.connection.execute(
        delete(resets).where(resets.c.token_hash == _hash(token)).returning(resets.c.account_id)
    )
    return account_id if result.first() is not None else None


async def set_password(
    unit: Unit,
    account_id: int,
    password_hash: str,
    *,
    must_change: bool,
    keep_sign_in: str | None = None,
) -> None:
    """Set the account's password; every sign-in of the account ends but `keep_sign_in`
    (the browser that changed it), and so do its reset links."""
    await unit.connection.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(password_hash=password_hash, must_change_password=must_change)
    )
    ended = sign_ins.c.account_id == account_id
    if keep_sign_in is not None:
        ended &= sign_ins.c.token_hash != _hash(keep_sign_in)
    await unit.connection.execute(delete(sign_ins).where(ended))
    await unit.connection.execute(delete(resets).where(resets.c.account_id == account_id))
