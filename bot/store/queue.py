"""The dashboard's queue of cases: filters, pages, the export's chunks, nationalities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select

from bot.flags import PRIORITY, RED
from bot.status import UNCOUNTED
from bot.store import cases, reading
from bot.store.accounts import accounts
from bot.store.projects import funded_by, projects
from bot.store.tables import flags, pre_registrations
from bot.store.unit import Unit

# Shown first when asked, and marked in the queue: people at risk, follow-up alerts first.


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    flag: str = ""
    nationality: str = ""
    city: str = ""
    source: int | None = None  # the outreach source people came by
    since: date | None = None
    until: date | None = None
    search: str = ""  # a reference or a phone number, as typed
    search_key: str = ""  # the same folded like stored names (lower case, no accents)
    priority_first: bool = False
    assigned_to: int | None = None  # one caseworker's cases
    unassigned: bool = False  # the cases nobody has
    project: int | None = None  # one funded project's cases
    funder: str = ""  # the cases of every project this funder pays for
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class CaseRow:
    id: int
    reference: str
    status: str
    full_name: str | None
    phone: str | None
    nationality: str | None
    current_city: str | None
    created_at: datetime
    flags: tuple[str, ...]
    assignee: str | None = None  # the caseworker's username
    unread: int = 0  # messages from the person its caseworker has not opened

    @property
    def priority(self) -> bool:
        return any(f in PRIORITY for f in self.flags)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def counted(self) -> int:
        """The cases of every status that counts: a closed duplicate is its other case."""
        return sum(n for status, n in self.counts.items() if status not in UNCOUNTED)


def _where(query: Select[Any], f: CaseFilter, *, with_status: bool = True) -> Select[Any]:
    r = pre_registrations.c
    conditions: list[Any] = []
    if with_status and f.status:
        conditions.append(r.status == f.status)
    elif with_status and not f.search:  # a closed duplicate: only when asked for by name
        conditions.append(r.status.not_in(sorted(UNCOUNTED)))
    if f.flag:
        conditions.append(
            exists().where(flags.c.pre_registration_id == r.id, flags.c.flag == f.flag)
        )
    if f.nationality:
        conditions.append(r.nationality == f.nationality)
    if f.city:
        conditions.append(r.current_city == f.city)
    if f.source is not None:
        conditions.append(r.source_id == f.source)
    if f.assigned_to is not None:
        conditions.append(r.assigned_to == f.assigned_to)
    elif f.unassigned:
        conditions.append(r.assigned_to.is_(None))
    if f.project is not None:
        conditions.append(r.project_id == f.project)
    if f.funder:
        funded = select(projects.c.id).where(funded_by(f.funder))
        conditions.append(r.project_id.in_(funded))
    if f.since:
        conditions.append(r.created_at >= datetime.combine(f.since, time.min))
    if f.until:
        conditions.append(r.created_at < datetime.combine(f.until + timedelta(days=1), time.min))
    if f.search:
        term = f.search.strip()
        digits = "".join(c for c in term if c.isdigit())
        matches = [r.reference == term.upper()]
        if f.search_key:
            matches.append(r.name_key.contains(f.search_key, autoescape=True))
        if len(digits) >= 4:
            matches.append(r.phone.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    return query.where(and_(*conditions)) if conditions else query


async def page(unit: Unit, f: CaseFilter) -> CasePage:
    """One page of the queue, newest first (by the severity of their flags first if asked)."""
    r = pre_registrations.c
    total = (
        await unit.connection.execute(
            _where(select(func.count()).select_from(pre_registrations), f)
        )
    ).scalar_one()
    order: list[Any] = []
    if f.priority_first:  # red flags first, then the other people at risk

        def flagged(names: frozenset[str]) -> Any:
            return exists().where(
                flags.c.pre_registration_id == r.id, flags.c.flag.in_(sorted(names))
            )

        order.append(case((flagged(RED), 0), (flagged(PRIORITY - RED), 1), else_=2))
    order += [r.created_at.desc(), r.id.desc()]
    columns = (r.id, r.reference, r.status, r.full_name, r.phone, r.nationality, r.current_city,
               r.created_at)  # fmt: skip
    pages = max(1, -(-total // f.per_page))
    number = min(max(1, f.page), pages)
    query = _where(select(*columns), f).order_by(*order)
    query = query.limit(f.per_page).offset((number - 1) * f.per_page)
    rows = list((await unit.connection.execute(query)).mappings())
    ids = [row["id"] for row in rows]
    names = await cases.flags_of(unit, ids)
    owners = await _owners(unit, ids)
    unread = await reading.counts(unit, ids)
    found = [
        CaseRow(**row, flags=tuple(names.get(row["id"], ())), assignee=owners.get(row["id"]),
                unread=unread.get(row["id"], 0))
        for row in rows
    ]  # fmt: skip
    counts_query = _where(
        select(r.status, func.count().label("n")).group_by(r.status), f, with_status=False
    )
    counts = {
        str(row["status"]): int(row["n"])
        for row in (await unit.connection.execute(counts_query)).mappings()
    }
    return CasePage(found, total, number, pages, counts)


async def _owners(unit: Unit, ids: list[int]) -> dict[int, str]:
    """The usernames of these cases' caseworkers, by case (unassigned ones left out)."""
    if not ids:
        return {}
    r = pre_registrations.c
    result = await unit.connection.execute(
        select(r.id, accounts.c.username)
        .join(accounts, accounts.c.id == r.assigned_to)
        .where(r.id.in_(ids))
    )
    return {int(case_id): str(name) for case_id, name in map(tuple, result.all())}


async def nationalities(unit: Unit) -> list[str]:
    result = await unit.connection.execute(
        select(pre_registrations.c.nationality)
        .where(pre_registrations.c.nationality.is_not(None))
        .distinct()
    )
    return sorted(code for code in result.scalars() if code)


async def export_chunk(
    unit: Unit, f: CaseFilter, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` cases of the filter, newest first, with ids below `before_id`."""
    r = pre_registrations.c
    query = _where(select(r.id, r.reference, r.status, r.created_at, r.source_id, r.answers), f)
    if before_id is not None:
        query = query.where(r.id < before_id)
    rows = [dict(row) for row in (await unit.connection.execute(
        query.order_by(r.id.desc()).limit(limit)
    )).mappings()]  # fmt: skip
    names = await cases.flags_of(unit, [row["id"] for row in rows])
    for row in rows:
        row["flags"] = names.get(row["id"], [])
    return rows


async def selection(unit: Unit, f: CaseFilter, limit: int) -> list[tuple[str, str]]:
    """The (reference, status) of up to `limit` cases of the filter, in the queue's order
    (every page), for acting on them at once."""
    r = pre_registrations.c
    query = _where(select(r.reference, r.status), f)
    result = await unit.connection.execute(
        query.order_by(r.created_at.desc(), r.id.desc()).limit(limit)
    )
    return [(str(row.reference), str(row.status)) for row in result]


async def ids_of(unit: Unit, refs: list[str]) -> dict[str, int]:
    """The ids of the cases with these references (the unknown ones are left out)."""
    r = pre_registrations.c
    result = await unit.connection.execute(select(r.reference, r.id).where(r.reference.in_(refs)))
    return {str(row.reference): int(row.id) for row in result}
