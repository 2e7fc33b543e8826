"""Claiming due check-ins: a dispatcher's leases on rows, and what it marks on them.

A row is claimed by a dispatcher with a lease (`claimed_until`) in one statement:
`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING` on PostgreSQL,
where two dispatchers skip each other's rows; on SQLite the same UPDATE, which holds the
database's write lock, so it is atomic too. A dispatcher that dies lets its leases lapse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, or_, select, update

from bot.store.checkins import (
    COLUMNS,
    SENDING,
    SENT,
    WAITING,
    FollowupRecord,
    to_record,
    update_row,
)
from bot.store.models import equals_constant
from bot.store.tables import followups, people, pre_registrations
from bot.store.unit import Unit


@dataclass(frozen=True)
class Claimed:
    """A claimed row, with what the dispatcher needs to act on it."""

    followup: FollowupRecord
    lease: datetime  # this claim's claimed_until: whoever holds it owns the row
    person_id: int
    telegram_id: int
    language: str
    reference: str
    country: str | None
    time_zone: str | None


# The statements run for every check-in sent, built once.
_START_SENDING = (
    update(followups)
    .where(followups.c.id == bindparam("row"), followups.c.claimed_until == bindparam("lease"))
    .values(
        status=SENDING,
        attempts=bindparam("attempts_"),
        reminders=bindparam("reminders_"),
        updated_at=bindparam("now"),
    )
)
_MARK_SENT = (
    update(followups)
    .where(followups.c.id == bindparam("row"), equals_constant(followups.c.status, SENDING))
    .values(
        status=SENT,
        sent_at=func.coalesce(
            followups.c.sent_at, bindparam("now", type_=followups.c.sent_at.type)
        ),
        attempts=0,
        due_at=bindparam("next_at"),
        claimed_until=None,
        updated_at=bindparam("now"),
    )
)


async def start_sending(
    unit: Unit, claimed: Claimed, now: datetime, attempts: int, reminders: int
) -> bool:
    """Mark the row "sending" if this claim still holds it (a lapsed lease may have let
    another dispatcher take it: then it is theirs, and this one must not send)."""
    result = await unit.connection.execute(
        _START_SENDING,
        {
            "row": claimed.followup.id,
            "lease": claimed.lease,
            "attempts_": attempts,
            "reminders_": reminders,
            "now": now,
        },
    )
    return result.rowcount == 1


async def mark_sent(unit: Unit, sent: list[int], now: datetime, next_at: datetime) -> None:
    """Rows whose message went out; one answered meanwhile stays answered."""
    if sent:
        params = [{"row": row, "now": now, "next_at": next_at} for row in sent]
        await unit.connection.execute(_MARK_SENT, params)
        await _touch(unit, sent)


async def release(unit: Unit, followup_id: int, due_at: datetime, now: datetime) -> None:
    """Put a claimed row back, to act on at `due_at` (quiet hours, a busy person, a retry)."""
    await update_row(unit, followup_id, now, due_at=due_at, claimed_until=None)


async def recover(unit: Unit, now: datetime, reminder_at: datetime) -> int:
    """Rows a dead dispatcher was sending: take them as sent. If the message never left,
    the reminder asks the same question later; sending again now could send it twice."""
    result = await unit.connection.execute(
        update(followups)
        .where(equals_constant(followups.c.status, SENDING), followups.c.claimed_until < now)
        .values(status=SENT, claimed_until=None, due_at=reminder_at, updated_at=now)
        .returning(followups.c.pre_registration_id)
    )
    recovered = result.scalars().all()
    for case_id in recovered:
        unit.touch(case_id)
    return len(recovered)


async def _touch(unit: Unit, followup_ids: list[int]) -> None:
    """The cases of these check-ins: their statistics follow the check-ins' status."""
    result = await unit.connection.execute(
        select(followups.c.pre_registration_id).where(followups.c.id.in_(followup_ids))
    )
    for case_id in result.scalars():
        unit.touch(case_id)


async def claim(unit: Unit, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Lease up to `limit` due rows to this dispatcher, soonest first."""
    due = (
        select(followups.c.id)
        .where(
            followups.c.status.in_(WAITING),
            followups.c.due_at <= now,
            or_(followups.c.claimed_until.is_(None), followups.c.claimed_until < now),
            # A person who stopped the bot: their check-ins wait until they come back.
            ~exists().where(
                pre_registrations.c.id == followups.c.pre_registration_id,
                people.c.id == pre_registrations.c.person_id,
                people.c.unreachable_at.is_not(None),
            ),
        )
        .order_by(followups.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)  # renders nothing on SQLite, where it is not needed
    )
    result = await unit.connection.execute(
        update(followups)
        .where(followups.c.id.in_(due.scalar_subquery()))
        .values(claimed_until=lease_until)
        .returning(followups.c.id)
    )
    ids = list(result.scalars())
    if not ids:
        return []
    rows = await unit.connection.execute(
        select(
            *COLUMNS,
            people.c.id,
            people.c.telegram_id,
            people.c.language,
            pre_registrations.c.reference,
            pre_registrations.c.answers["destination_country"].as_string(),
            pre_registrations.c.time_zone,
        )
        .join(pre_registrations, pre_registrations.c.id == followups.c.pre_registration_id)
        .join(people, people.c.id == pre_registrations.c.person_id)
        .where(followups.c.id.in_(ids))
        .order_by(followups.c.due_at)
    )
    width = len(COLUMNS)
    return [Claimed(to_record(row), lease_until, *row[width:]) for row in rows]
