"""Staff accounts' Telegram chats: the one-time codes that link them, the links, and what
each day's digest counts for an account."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, or_, select, update

from bot.status import CLOSED, Status
from bot.store import reading
from bot.store.models import Account, Base, CaseMessage, StaffChat, StaffLinkCode
from bot.store.tables import pre_registrations
from bot.store.unit import Unit

staff_chats = Base.metadata.tables[StaffChat.__tablename__]
link_codes = Base.metadata.tables[StaffLinkCode.__tablename__]
_accounts = Base.metadata.tables[Account.__tablename__]
_messages = Base.metadata.tables[CaseMessage.__tablename__]

# Easy to read aloud and to type on a phone: no 0/O, 1/I/L.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10, about 2^49, for a few minutes: not guessable
# The cases whose status waits on the office.
_WAITING = (Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO)


@dataclass(frozen=True)
class StaffChatRecord:
    """An account whose chat is linked, with what a message to it needs."""

    account_id: int
    username: str
    language: str
    chat_id: int


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def normal(code: str) -> str:
    """A code as typed, made comparable: capitals, no spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def _hash(code: str) -> str:
    return hashlib.sha256(normal(code).encode()).hexdigest()


async def issue(unit: Unit, account_id: int, code: str, expires_at: datetime) -> None:
    """The account's new code; any earlier one stops working."""
    await unit.connection.execute(delete(link_codes).where(link_codes.c.account_id == account_id))
    await unit.connection.execute(
        insert(link_codes).values(
            code_hash=_hash(code), account_id=account_id, expires_at=expires_at
        )
    )


async def redeem(unit: Unit, code: str, now: datetime) -> int | None:
    """The account a live code was made for, the code gone with its use; None for a wrong
    or expired code (an expired one goes too: it is worth nothing)."""
    result = await unit.connection.execute(
        delete(link_codes)
        .where(link_codes.c.code_hash == _hash(code))
        .returning(link_codes.c.account_id, link_codes.c.expires_at)
    )
    row = result.first()
    if row is None or row.expires_at <= now:
        return None
    return int(row.account_id)


async def link(unit: Unit, account_id: int, chat_id: int, now: datetime) -> None:
    """The account's notifications go to `chat_id` from now on (one chat per account, one
    account per chat)."""
    await unit.connection.execute(
        delete(staff_chats).where(
            or_(staff_chats.c.account_id == account_id, staff_chats.c.chat_id == chat_id)
        )
    )
    await unit.connection.execute(
        insert(staff_chats).values(account_id=account_id, chat_id=chat_id, linked_at=now)
    )


async def unlink(unit: Unit, account_id: int) -> bool:
    """The account's chat gets nothing more; whether one was linked."""
    result = await unit.connection.execute(
        delete(staff_chats).where(staff_chats.c.account_id == account_id)
    )
    return bool(result.rowcount)


async def linked_at(unit: Unit, account_id: int) -> datetime | None:
    result = await unit.connection.execute(
        select(staff_chats.c.linked_at).where(staff_chats.c.account_id == account_id)
    )
    return result.scalar_one_or_none()


_LINKED = select(
    staff_chats.c.account_id, _accounts.c.username, _accounts.c.language, staff_chats.c.chat_id
).join(_accounts, _accounts.c.id == staff_chats.c.account_id)


async def chat_of(unit: Unit, account_id: int) -> StaffChatRecord | None:
    """The linked chat of an active account."""
    query = _LINKED.where(staff_chats.c.account_id == account_id, _accounts.c.active.is_(True))
    row = (await unit.connection.execute(query)).first()
    return StaffChatRecord(**row._mapping) if row is not None else None


async def account_id_of(unit: Unit, username: str) -> int | None:
    result = await unit.connection.execute(
        select(_accounts.c.id).where(_accounts.c.username == username)
    )
    return result.scalar_one_or_none()


async def digest_due(unit: Unit, day: date) -> list[int]:
    """Accounts, active and linked, whose digest of `day` is not queued yet."""
    query = (
        select(staff_chats.c.account_id)
        .join(_accounts, _accounts.c.id == staff_chats.c.account_id)
        .where(
            _accounts.c.active.is_(True),
            or_(staff_chats.c.digest_on.is_(None), staff_chats.c.digest_on < day),
        )
        .order_by(staff_chats.c.account_id)
    )
    return list((await unit.connection.execute(query)).scalars())


async def claim_digest(unit: Unit, account_id: int, day: date) -> StaffChatRecord | None:
    """Mark the account's digest of `day` as queued, if no one did; its chat, or None."""
    result = await unit.connection.execute(
        update(staff_chats)
        .where(
            staff_chats.c.account_id == account_id,
            or_(staff_chats.c.digest_on.is_(None), staff_chats.c.digest_on < day),
        )
        .values(digest_on=day)
    )
    if result.rowcount != 1:
        return None  # another process queued it, or the chat was unlinked meanwhile
    return await chat_of(unit, account_id)


async def overdue(unit: Unit, account_id: int, before: datetime) -> list[str]:
    """References of the account's cases waiting on the office since before `before`
    (submitted, in review or needing information, and no status change since)."""
    r = pre_registrations.c
    since = func.coalesce(r.status_changed_at, r.created_at)
    query = (
        select(r.reference)
        .where(r.assigned_to == account_id, r.status.in_(_WAITING), since < before)
        .order_by(since, r.id)
    )
    return list((await unit.connection.execute(query)).scalars())


async def unread(unit: Unit, account_id: int) -> list[tuple[str, int]]:
    """The account's open cases with messages from the person it has not opened yet (as
    the inbox and the workload count them): (reference, how many), oldest case first."""
    r, m = pre_registrations.c, _messages.c
    query = (
        select(r.reference, func.count(m.id).label("count"))
        .join(_messages, m.pre_registration_id == r.id)
        .where(r.assigned_to == account_id, r.status.not_in(CLOSED), reading.unread())
        .group_by(r.id, r.reference)
        .order_by(r.id)
    )
    result = await unit.connection.execute(query)
    return [(str(row["reference"]), int(row["count"])) for row in result.mappings()]
