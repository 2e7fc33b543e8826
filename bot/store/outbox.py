"""The outbox: messages a person must see, from the transaction that decided them until
Telegram took them.

One chat's messages go in order: a process claims all of a chat's waiting messages at
once, and only when no other process holds a live claim on that chat (the rows are locked
while this is checked, on PostgreSQL; SQLite's write lock serialises it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update

from bot.store.tables import outbox, people
from bot.store.unit import Unit


@dataclass(frozen=True)
class Message:
    """A message to send (`message_id` None) or an edit of one (its text, or only its
    buttons when `text` is None)."""

    chat_id: int
    text: str | None
    markup: dict[str, Any] | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class Waiting:
    id: int
    message: Message
    attempts: int


# The statements run for every reply, built once.
_INSERT = insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True)
# A person who stopped the bot (in a private chat, the chat's id is theirs): their
# messages wait, neither sent nor lost, until they come back.
_REACHABLE = ~exists().where(
    people.c.telegram_id == outbox.c.chat_id, people.c.unreachable_at.is_not(None)
)
_CHAT = (
    select(outbox)
    .where(outbox.c.chat_id == bindparam("chat"), _REACHABLE)
    .order_by(outbox.c.id)
    .with_for_update()  # PostgreSQL: another claimer waits; SQLite: its write lock serialises
)
_CLAIM = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(claimed_by=bindparam("worker"), claimed_until=bindparam("until"))
)
_REMOVE = delete(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))
_AHEAD = select(
    select(func.count())
    .select_from(outbox)
    .where(outbox.c.chat_id == bindparam("chat"))
    .scalar_subquery(),
    exists().where(people.c.telegram_id == bindparam("chat"), people.c.unreachable_at.is_not(None)),
)
_UNCLAIMED = select(func.count()).where(
    outbox.c.chat_id == bindparam("chat"), outbox.c.claimed_until.is_(None)
)


async def add(
    unit: Unit, messages: list[Message], now: datetime, claim: tuple[str, datetime] | None = None
) -> list[int]:
    """Store messages to send, in order; their ids, in the same order. With `claim`
    (worker, until), they are stored claimed: the caller sends them."""
    if not messages:
        return []
    worker, until = claim if claim is not None else (None, None)
    result = await unit.connection.execute(
        _INSERT,
        [
            {
                "chat_id": m.chat_id,
                "message_id": m.message_id,
                "text": m.text,
                "markup": m.markup,
                "created_at": now,
                "attempts": 0,
                "claimed_by": worker,
                "claimed_until": until,
            }
            for m in messages
        ],
    )
    return list(result.scalars())


async def claim_chat(
    unit: Unit, chat_id: int, worker: str, now: datetime, until: datetime
) -> list[Waiting]:
    """A chat's waiting messages, in order, claimed until `until`; none while another
    claim on the chat is live (its holder sends them, in order)."""
    rows = list(await unit.connection.execute(_CHAT, {"chat": chat_id}))
    if not rows or any(r.claimed_until is not None and r.claimed_until > now for r in rows):
        return []
    await unit.connection.execute(
        _CLAIM, {"ids": [r.id for r in rows], "worker": worker, "until": until}
    )
    return [
        Waiting(r.id, Message(r.chat_id, r.text, r.markup, r.message_id), r.attempts) for r in rows
    ]


async def remove(unit: Unit, ids: list[int]) -> None:
    """Messages Telegram took, or that will never go."""
    if ids:
        await unit.connection.execute(_REMOVE, {"ids": ids})


async def ahead(unit: Unit, chat_id: int) -> tuple[int, bool]:
    """How many messages wait for a chat, and whether its person is marked as having
    stopped the bot: one statement, run for every reply."""
    count, marked = tuple((await unit.connection.execute(_AHEAD, {"chat": chat_id})).one())
    return int(count), bool(marked)


async def unclaimed(unit: Unit, chat_id: int) -> int:
    """How many of a chat's messages nobody has claimed (stored since the last claim)."""
    return int((await unit.connection.execute(_UNCLAIMED, {"chat": chat_id})).scalar_one())


async def postpone(unit: Unit, ids: list[int], until: datetime) -> None:
    """Messages to try again at `until`: their chat waits until then."""
    if ids:
        await unit.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(attempts=outbox.c.attempts + 1, claimed_until=until)
        )


async def unclaim_chat(unit: Unit, chat_id: int) -> int:
    """A chat's messages wait unclaimed (for a person who stopped the bot); how many."""
    result = await unit.connection.execute(
        update(outbox)
        .where(outbox.c.chat_id == chat_id)
        .values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount


async def drop_chat(unit: Unit, chat_id: int) -> int:
    """Every waiting message of a chat (the person blocked the bot); how many went."""
    result = await unit.connection.execute(delete(outbox).where(outbox.c.chat_id == chat_id))
    return result.rowcount


async def due_chats(unit: Unit, before: datetime, now: datetime, limit: int) -> list[int]:
    """Chats with a message waiting since `before` or earlier, and no live claim."""
    latest_claim = func.max(outbox.c.claimed_until)
    query = (
        select(outbox.c.chat_id)
        .where(_REACHABLE)
        .group_by(outbox.c.chat_id)
        .having(
            func.min(outbox.c.created_at) <= before,
            or_(latest_claim.is_(None), latest_claim <= now),
        )
        .order_by(func.min(outbox.c.id))
        .limit(limit)
    )
    return list((await unit.connection.execute(query)).scalars())


async def release(unit: Unit, worker: str) -> int:
    """Give up this process's live claims (at start, after a crash); a backed-off message
    keeps its wait."""
    result = await unit.connection.execute(
        update(outbox)
        .where(outbox.c.claimed_by == worker, outbox.c.attempts == 0)
        .values(claimed_by=None, claimed_until=None)
    )
    return result.rowcount


async def oldest_waiting(unit: Unit) -> datetime | None:
    """When the oldest waiting message was decided, if any (not counting those paused
    for a person who stopped the bot: they wait for that person, not for the process)."""
    query = select(func.min(outbox.c.created_at)).where(_REACHABLE)
    return (await unit.connection.execute(query)).scalar_one_or_none()
