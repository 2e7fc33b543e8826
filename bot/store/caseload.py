"""Who has how many cases: taking a case, the next caseworker in turn, the workload table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, any_, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from bot.flags import RED
from bot.roles import Role
from bot.status import CLOSED, Status
from bot.store import appointments as appointment_rows
from bot.store import audit, reading
from bot.store.accounts import accounts
from bot.store.priority import DUE_WITHIN
from bot.store.tables import appointments, case_messages, flags, pre_registrations
from bot.store.unit import Unit

OPEN = tuple(s for s in Status if s not in CLOSED)  # the workload's columns, in order
_r = pre_registrations.c
_CHUNK = 1000  # ids per statement, well within SQLite's limit on parameters


async def take(unit: Unit, case_id: int, account_id: int, actor: str, now: datetime) -> bool:
    """Give an unassigned case to `account_id`; False if someone has it (or got it first)."""
    result = await unit.connection.execute(
        update(pre_registrations)
        .where(_r.id == case_id, _r.assigned_to.is_(None))
        .values(assigned_to=account_id)
    )
    if not result.rowcount:
        return False
    await audit.record(unit, "case.assigned", now, actor=actor, pre_registration_id=case_id,
                       account_id=account_id, previous_account_id=None)  # fmt: skip
    return True


async def next_in_turn(unit: Unit, case_id: int) -> int | None:
    """The active caseworker after the one who has the case before this one, in account order.

    Round robin without a counter to keep: the previous case says whose turn it was. Two
    cases submitted at the same moment may go to the same caseworker; the turn goes on.
    """
    a = accounts.c
    team = list(
        (
            await unit.connection.execute(
                select(a.id).where(a.active.is_(True), a.role == Role.CASEWORKER).order_by(a.id)
            )
        ).scalars()
    )
    if not team:
        return None
    previous = await unit.connection.execute(
        select(_r.assigned_to).where(_r.id < case_id).order_by(_r.id.desc()).limit(1)
    )
    before = previous.scalar_one_or_none()
    after = [account_id for account_id in team if before is not None and account_id > before]
    return int(after[0] if after else team[0])


@dataclass(frozen=True)
class Load:
    """One caseworker's open cases by status, red flags not yet seen to, unread messages,
    appointments due."""

    account_id: int | None  # None: the cases nobody has
    username: str
    role: str
    active: bool
    by_status: dict[str, int] = field(default_factory=dict)
    red_flags: int = 0
    unread: int = 0
    due: int = 0  # appointments without an outcome, due within a day or overdue

    @property
    def open(self) -> int:
        return sum(self.by_status.values())


async def workload(unit: Unit, now: datetime) -> list[Load]:
    """Every active caseworker and supervisor, and anyone else holding open cases, by name;
    the unassigned cases last."""
    a = accounts.c
    people = list(
        map(
            tuple, (await unit.connection.execute(select(a.id, a.username, a.role, a.active))).all()
        )
    )
    by_status: dict[int | None, dict[str, int]] = {}
    # Every status, the closed ones dropped here: the count then reads only the index on
    # (assigned_to, status); asking for the open statuses had SQLite visit every case.
    rows = await unit.connection.execute(
        select(_r.assigned_to, _r.status, func.count()).group_by(_r.assigned_to, _r.status)
    )
    for account_id, status, n in map(tuple, rows.all()):
        if status in OPEN:
            by_status.setdefault(account_id, {})[status] = int(n)
    f, m, ap = flags.c, case_messages.c, appointments.c
    red_flags = await _by_owner(
        unit,
        select(f.pre_registration_id, func.count())
        .where(f.flag.in_(sorted(RED)), f.acknowledged_at.is_(None))
        .group_by(f.pre_registration_id),
    )
    messages = await _by_owner(
        unit,
        select(m.pre_registration_id, func.count())
        .where(reading.unread())
        .group_by(m.pre_registration_id),
    )
    due = await _by_owner(
        unit,
        select(ap.pre_registration_id, func.count())
        .where(ap.status.in_(appointment_rows.OPEN), ap.starts_at < now + DUE_WITHIN)
        .group_by(ap.pre_registration_id),
    )
    loads = [
        Load(account_id, username, role, active, by_status.get(account_id, {}),
             red_flags.get(account_id, 0), messages.get(account_id, 0), due.get(account_id, 0))
        for account_id, username, role, active in people
        if (active and role in (Role.CASEWORKER, Role.SUPERVISOR)) or account_id in by_status
    ]  # fmt: skip
    loads.sort(key=lambda load: load.username.casefold())
    nobody = Load(None, "", "", True, by_status.get(None, {}), red_flags.get(None, 0),
                  messages.get(None, 0), due.get(None, 0))  # fmt: skip
    return [*loads, nobody]


async def _by_owner(unit: Unit, per_case: Any) -> dict[int | None, int]:
    """Counts by case (`per_case`: case id, count), added up by the cases' caseworkers.

    The few cases counted are looked up by id: joined in SQL, PostgreSQL read every case.
    """
    counts = {int(case_id): int(n) for case_id, n in map(tuple, (
        await unit.connection.execute(per_case)
    ).all())}  # fmt: skip
    ids = sorted(counts)
    owners: dict[int | None, int] = {}
    for chunk in _chunks(unit, ids):
        rows = await unit.connection.execute(select(_r.id, _r.assigned_to).where(chunk))
        for case_id, account_id in map(tuple, rows.all()):
            owners[account_id] = owners.get(account_id, 0) + counts[case_id]
    return owners


def _chunks(unit: Unit, ids: list[int]) -> list[Any]:
    """`ids` as conditions on the case's id: on PostgreSQL one array, a single statement
    planned once; elsewhere lists of at most _CHUNK bound values."""
    if not ids:
        return []
    if unit.dialect == "postgresql":
        return [_r.id == any_(literal(ids, ARRAY(Integer)))]
    return [_r.id.in_(ids[start : start + _CHUNK]) for start in range(0, len(ids), _CHUNK)]
