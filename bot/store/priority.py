"""The priority inbox: the cases that need action, the most severe first, then the oldest.

Tiers, in order: a red flag not yet acknowledged; messages from the person not yet read by
the case's caseworker; appointments due or overdue (see `_due`); new requests.
A case is listed once, in its most severe tier; a case with none of them is not listed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from bot.flags import RED
from bot.status import UNCOUNTED, Status
from bot.store import appointments as appointment_rows
from bot.store import cases, reading
from bot.store.accounts import accounts
from bot.store.tables import appointments, case_messages, flags, pre_registrations
from bot.store.unit import Unit

_r = pre_registrations.c
# An appointment with no outcome needs action from a day before it starts.
DUE_WITHIN = timedelta(days=1)


class Tier(enum.IntEnum):
    RED_FLAG = 1
    UNREAD = 2
    DUE = 3
    NEW = 4


class Scope(enum.StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


@dataclass(frozen=True)
class InboxRow:
    id: int
    reference: str
    status: str
    full_name: str | None
    nationality: str | None
    created_at: datetime
    assignee: str | None  # the caseworker's username
    tier: Tier
    since: datetime  # how long it has waited in its tier
    flags: tuple[str, ...]
    unread: int


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    pages: int


def _scoped(query: Select[Any], scope: Scope, account_id: int) -> Select[Any]:
    if scope is Scope.MINE:
        return query.where(_r.assigned_to == account_id)
    if scope is Scope.UNASSIGNED:
        return query.where(_r.assigned_to.is_(None))
    return query


def _red_flagged() -> Any:
    """The cases with a red flag not yet acknowledged (few: read from the flags' index)."""
    f = flags.c
    return _r.id.in_(
        select(f.pre_registration_id).where(f.flag.in_(sorted(RED)), f.acknowledged_at.is_(None))
    )


def _unread() -> Any:
    """The cases with a message from the person its caseworker has not opened."""
    m = case_messages.c
    return _r.id.in_(select(m.pre_registration_id).where(reading.unread()))


def _oldest_unread() -> Any:
    m = case_messages.c
    return (
        select(func.min(m.created_at))
        .where(m.pre_registration_id == _r.id, reading.unread())
        .scalar_subquery()
    )


def _due(now: datetime) -> tuple[Any, Any]:
    """The cases with an appointment that has no outcome yet and starts within a day, or
    started already (overdue), and since when: the earliest such appointment's time.

    Tasks, when there are some, are a tier of their own or join this one the same way.
    """
    ap = appointments.c
    due = (ap.status.in_(appointment_rows.OPEN), ap.starts_at < now + DUE_WITHIN)
    since = (
        select(func.min(ap.starts_at))
        .where(ap.pre_registration_id == _r.id, *due)
        .scalar_subquery()
    )
    return _r.id.in_(select(ap.pre_registration_id).where(*due)), since


def _tiers(now: datetime) -> list[tuple[Tier, Any, Any]]:
    """Each tier: its condition on a case, and since when the case has waited in it."""
    return [
        (Tier.RED_FLAG, _red_flagged(), _r.created_at),
        (Tier.UNREAD, _unread(), _oldest_unread()),
        (Tier.DUE, *_due(now)),
        (Tier.NEW, _r.status == Status.SUBMITTED, _r.created_at),
    ]


def _tier_queries(scope: Scope, account_id: int, now: datetime) -> list[tuple[Tier, Select[Any]]]:
    """One query per tier, each without the cases of the tiers before it."""
    queries: list[tuple[Tier, Select[Any]]] = []
    before: list[Any] = []
    for tier, condition, since in _tiers(now):
        query = select(_r.id.label("case_id"), since.label("since")).where(
            condition,
            *[~earlier for earlier in before],
            _r.status.not_in(sorted(UNCOUNTED)),  # a closed duplicate waits for nothing
        )
        queries.append((tier, _scoped(query, scope, account_id)))
        before.append(condition)
    return queries


async def page(
    unit: Unit, scope: Scope, account_id: int, now: datetime, number: int = 1, per_page: int = 50
) -> InboxPage:
    """One page of the inbox of `scope` as `account_id` sees it.

    Counted and read tier by tier: each tier is read in its own order (an index's), only as
    far as the page needs, rather than every case needing action sorted at once.
    """
    queries = _tier_queries(scope, account_id, now)
    counts = [
        (await unit.connection.execute(
            select(func.count()).select_from(query.subquery())
        )).scalar_one()
        for _, query in queries
    ]  # fmt: skip
    total = sum(counts)
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    skip, wanted = (number - 1) * per_page, per_page
    ranked: list[tuple[int, Tier, datetime]] = []
    for (tier, query), count in zip(queries, counts, strict=True):
        if skip >= count:
            skip -= count
            continue
        part = query.subquery()
        result = await unit.connection.execute(
            select(part.c.case_id, part.c.since)
            .order_by(part.c.since, part.c.case_id)
            .limit(wanted)
            .offset(skip)
        )
        found = [(int(case_id), tier, since) for case_id, since in map(tuple, result.all())]
        ranked += found
        skip, wanted = 0, wanted - len(found)
        if wanted <= 0:
            break
    return InboxPage(await _rows(unit, ranked), total, number, pages)


async def _rows(unit: Unit, ranked: list[tuple[int, Tier, datetime]]) -> list[InboxRow]:
    """The page's cases as the inbox shows them, in the order ranked."""
    ids = [case_id for case_id, _, _ in ranked]
    if not ids:
        return []
    a = accounts.c
    result = await unit.connection.execute(
        select(
            _r.id,
            _r.reference,
            _r.status,
            _r.full_name,
            _r.nationality,
            _r.created_at,
            a.username.label("assignee"),
        )
        .select_from(pre_registrations.outerjoin(accounts, a.id == _r.assigned_to))
        .where(_r.id.in_(ids))
    )
    cases_by_id = {row["id"]: row for row in result.mappings()}
    names = await cases.flags_of(unit, ids)
    unread = await reading.counts(unit, ids)
    return [
        InboxRow(**cases_by_id[case_id], tier=tier, since=since,
                 flags=tuple(names.get(case_id, ())), unread=unread.get(case_id, 0))
        for case_id, tier, since in ranked
    ]  # fmt: skip
