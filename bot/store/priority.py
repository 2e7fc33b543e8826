"""The priority inbox: the cases that need action, the most severe first, then the oldest.

Tiers, in order: a red flag not yet acknowledged; messages from the person not yet read by
the case's caseworker; due tasks and appointments (none yet: see `_due`); new requests.
A case is listed once, in its most severe tier; a case with none of them is not listed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, func, literal, select, union_all

from bot.flags import RED
from bot.status import Status
from bot.store import cases, reading
from bot.store.accounts import accounts
from bot.store.tables import case_messages, flags, pre_registrations
from bot.store.unit import Unit

_r = pre_registrations.c


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


def _tier(tier: Tier) -> Any:
    return literal(int(tier), Integer).label("tier")


def _red_flags() -> Select[Any]:
    joined = flags.join(pre_registrations, flags.c.pre_registration_id == _r.id)
    return (
        select(_r.id.label("case_id"), _tier(Tier.RED_FLAG), _r.created_at.label("since"))
        .select_from(joined)
        .where(flags.c.flag.in_(sorted(RED)), flags.c.acknowledged_at.is_(None))
    )


def _unread() -> Select[Any]:
    m = case_messages.c
    joined = case_messages.join(pre_registrations, m.pre_registration_id == _r.id)
    return (
        select(_r.id.label("case_id"), _tier(Tier.UNREAD), func.min(m.created_at).label("since"))
        .select_from(joined)
        .where(reading.unread())
        .group_by(_r.id)
    )


def _due() -> Select[Any] | None:
    """Extension point: due tasks and appointments, the third tier.

    There is no table of tasks or appointments yet. When there is, return the cases with
    one due or overdue as (case_id, tier DUE, since: the due time), like the others.
    """
    return None


def _new() -> Select[Any]:
    return select(_r.id.label("case_id"), _tier(Tier.NEW), _r.created_at.label("since")).where(
        _r.status == Status.SUBMITTED
    )


async def page(
    unit: Unit, scope: Scope, account_id: int, number: int = 1, per_page: int = 50
) -> InboxPage:
    """One page of the inbox of `scope` as `account_id` sees it."""
    parts = [_red_flags(), _unread(), _due(), _new()]
    needs = union_all(*[_scoped(p, scope, account_id) for p in parts if p is not None]).subquery()
    ranked = select(
        needs.c.case_id,
        needs.c.tier,
        needs.c.since,
        func.row_number()
        .over(partition_by=needs.c.case_id, order_by=(needs.c.tier, needs.c.since))
        .label("n"),
    ).subquery()
    best = select(ranked.c.case_id, ranked.c.tier, ranked.c.since).where(ranked.c.n == 1).subquery()
    total = (await unit.connection.execute(select(func.count()).select_from(best))).scalar_one()
    pages = max(1, -(-total // per_page))
    number = min(max(1, number), pages)
    # The page is cut from the ranked ids alone, then joined: the cases' rows are read for
    # fifty cases, not for every case in the inbox.
    cut = (
        select(best.c.case_id, best.c.tier, best.c.since)
        .order_by(best.c.tier, best.c.since, best.c.case_id)
        .limit(per_page)
        .offset((number - 1) * per_page)
        .subquery()
    )
    a = accounts.c
    query = (
        select(
            _r.id,
            _r.reference,
            _r.status,
            _r.full_name,
            _r.nationality,
            _r.created_at,
            a.username.label("assignee"),
            cut.c.tier,
            cut.c.since,
        )
        .select_from(
            cut.join(pre_registrations, _r.id == cut.c.case_id).outerjoin(
                accounts, a.id == _r.assigned_to
            )
        )
        .order_by(cut.c.tier, cut.c.since, cut.c.case_id)
    )
    found = list((await unit.connection.execute(query)).mappings())
    ids = [row["id"] for row in found]
    names = await cases.flags_of(unit, ids)
    unread = await reading.counts(unit, ids)
    rows = [
        InboxRow(**{**row, "tier": Tier(row["tier"])}, flags=tuple(names.get(row["id"], ())),
                 unread=unread.get(row["id"], 0))
        for row in found
    ]  # fmt: skip
    return InboxPage(rows, total, number, pages)
