"""Funded projects: their terms, the places their cases hold, their waiting lists, and the
grant money their cases were approved.

Places are counted in people: the applicant and the family members of the case (table
`case_members`). A case holds a place from its acceptance to its return (accepted, the
travel document and booking statuses, departed, returned) and still once closed after a
return; a case waiting (waitlisted), withdrawn, not accepted, closed without a return or
closed as a duplicate holds none, so its withdrawal or refusal frees its place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, insert, or_, select, update

from bot.status import Status
from bot.store import audit
from bot.store.models import Base
from bot.store.statistics import case_statistics, statistic_grants, statistic_steps
from bot.store.tables import case_members, pre_registrations
from bot.store.unit import Unit

projects = Base.metadata.tables["projects"]
grant_items = Base.metadata.tables["grant_items"]

# The statuses in which a case holds its people's places in its project.
HOLDING = frozenset(
    {
        Status.ACCEPTED,
        Status.DOC_REQUESTED,
        Status.DOC_RECEIVED,
        Status.TRAVEL_BOOKED,
        Status.DEPARTED,
        Status.RETURNED,
    }
)
# Freed by these moves: the next case on the waiting list may move in.
FREEING = frozenset({Status.WITHDRAWN, Status.REJECTED})
SPENT = ("approved", "delivered")  # the grant items counted against the project's budget


@dataclass(frozen=True)
class Terms:
    """What a supervisor sets on a project; every field is written."""

    name: str
    funders: tuple[str, ...]
    countries: tuple[str, ...]  # ISO codes of the countries of return
    starts_on: date
    ends_on: date | None
    capacity: int  # people
    grant_cap_cents: int  # per person, in USD cents
    member_cap_cents: int | None  # per family member travelling, if the project sets one


@dataclass(frozen=True)
class ProjectRecord(Terms):
    id: int = 0
    created_by: str = ""

    def covers(self, country: str | None, today: date) -> bool:
        """Whether a case returning to `country` fits the project today."""
        current = self.starts_on <= today and (self.ends_on is None or today <= self.ends_on)
        return current and country is not None and country.upper() in self.countries

    @property
    def budget_cents(self) -> int:
        """The grant money the project's capacity and cap allow."""
        return self.capacity * self.grant_cap_cents


@dataclass(frozen=True)
class Waiting:
    """A case on a project's waiting list."""

    case_id: int
    reference: str
    full_name: str | None
    people: int
    waitlisted_at: datetime


def _record(row: Any) -> ProjectRecord:
    return ProjectRecord(
        id=int(row["id"]),
        name=str(row["name"]),
        funders=tuple(row["funders"] or ()),
        countries=tuple(row["countries"] or ()),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        capacity=int(row["capacity"]),
        grant_cap_cents=int(row["grant_cap_cents"]),
        member_cap_cents=row["member_cap_cents"],
        created_by=str(row["created_by"]),
    )


def _values(terms: Terms) -> dict[str, Any]:
    return {
        "name": terms.name,
        "funders": list(terms.funders),
        "countries": list(terms.countries),
        "starts_on": terms.starts_on,
        "ends_on": terms.ends_on,
        "capacity": terms.capacity,
        "grant_cap_cents": terms.grant_cap_cents,
        "member_cap_cents": terms.member_cap_cents,
    }


async def add(unit: Unit, terms: Terms, actor: str, now: datetime) -> int:
    """A new project; audited."""
    result = await unit.connection.execute(
        insert(projects)
        .values(**_values(terms), currency="USD", created_by=actor, created_at=now,
                updated_at=now)
        .returning(projects.c.id)
    )  # fmt: skip
    project_id = int(result.scalar_one())
    await audit.record(unit, "project.created", now, actor=actor, project_id=project_id)
    return project_id


async def change(
    unit: Unit, before: ProjectRecord, terms: Terms, actor: str, now: datetime
) -> list[str]:
    """A project's new terms; audited with the names of the fields that changed."""
    old, new = _values(before), _values(terms)
    changed = [key for key in new if old[key] != new[key]]
    if changed:
        await unit.connection.execute(
            update(projects).where(projects.c.id == before.id).values(**new, updated_at=now)
        )
        await audit.record(unit, "project.changed", now, actor=actor, project_id=before.id,
                           fields=changed)  # fmt: skip
        # Its cases' caps are reported with them.
        theirs = select(pre_registrations.c.id).where(pre_registrations.c.project_id == before.id)
        for case_id in (await unit.connection.execute(theirs)).scalars():
            unit.touch(case_id)
    return changed


async def by_id(unit: Unit, project_id: int, *, lock: bool = False) -> ProjectRecord | None:
    """One project; `lock`ed against a concurrent placement on PostgreSQL."""
    query = select(projects).where(projects.c.id == project_id)
    if lock:
        query = query.with_for_update()
    row = (await unit.connection.execute(query)).mappings().first()
    return _record(row) if row is not None else None


async def by_name(unit: Unit, name: str) -> ProjectRecord | None:
    query = select(projects).where(func.lower(projects.c.name) == name.lower())
    row = (await unit.connection.execute(query)).mappings().first()
    return _record(row) if row is not None else None


async def every(unit: Unit) -> list[ProjectRecord]:
    """Every project, by name."""
    result = await unit.connection.execute(select(projects).order_by(projects.c.name))
    return [_record(row) for row in result.mappings()]


async def funders(unit: Unit) -> list[str]:
    """Every funder named by a project, alphabetically."""
    names = {name for project in await every(unit) for name in project.funders}
    return sorted(names, key=str.casefold)


def funded_by(funder: str) -> Any:
    """A condition on `projects`: the funder is among the project's funders. The list is
    JSON text written alike on both databases, so one quoted name is one whole element."""
    return cast(projects.c.funders, String).contains(json.dumps(funder), autoescape=True)


def _people() -> Any:
    """Each case's people: the applicant and the members travelling with them."""
    members = (
        select(func.count())
        .select_from(case_members)
        .where(case_members.c.pre_registration_id == pre_registrations.c.id)
        .scalar_subquery()
    )
    return 1 + members


def _holding() -> Any:
    r = pre_registrations.c
    returned_then_closed = and_(r.status == Status.CLOSED, r.return_date.is_not(None))
    return or_(r.status.in_(sorted(HOLDING)), returned_then_closed)


async def people(unit: Unit, case_id: int) -> int:
    """The places a case takes: its applicant and family members."""
    query = select(_people()).where(pre_registrations.c.id == case_id)
    return int((await unit.connection.execute(query)).scalar_one())


def _erased_holding() -> Any:
    """An erased case that held its place: its anonymous statistics still count it."""
    s = case_statistics.c
    returned = exists().where(
        statistic_steps.c.statistic_id == s.id, statistic_steps.c.step == Status.RETURNED.value
    )
    return and_(
        s.pre_registration_id.is_(None),
        s.project_id.is_not(None),
        or_(s.status.in_(sorted(HOLDING)), and_(s.status == Status.CLOSED, returned)),
    )


async def _add(unit: Unit, found: dict[int, int], query: Any) -> dict[int, int]:
    rows: list[Any] = list(await unit.connection.execute(query))
    for project_id, n in rows:
        found[int(project_id)] = found.get(int(project_id), 0) + int(n or 0)
    return found


async def places_used(unit: Unit) -> dict[int, int]:
    """The people holding a place, by project; a returnee erased since (by /delete or the
    retention purge) keeps theirs: the project helped them."""
    r = pre_registrations.c
    held = (
        select(r.project_id, _people().label("people"))
        .where(r.project_id.is_not(None), _holding())
        .subquery()
    )
    query = select(held.c.project_id, func.sum(held.c.people).label("n")).group_by(
        held.c.project_id
    )
    found = {int(row.project_id): int(row.n) for row in await unit.connection.execute(query)}
    s = case_statistics.c
    erased = (
        select(s.project_id, func.sum(s.people)).where(_erased_holding()).group_by(s.project_id)
    )
    return await _add(unit, found, erased)


async def waiting(unit: Unit, project_id: int) -> list[Waiting]:
    """A project's waiting list, first come first."""
    r = pre_registrations.c
    query = (
        select(r.id, r.reference, r.full_name, _people().label("people"), r.waitlisted_at)
        .where(r.project_id == project_id, r.status == Status.WAITLISTED)
        .order_by(r.waitlisted_at, r.id)
    )
    return [
        Waiting(int(row.id), str(row.reference), row.full_name, int(row.people),
                row.waitlisted_at)
        for row in await unit.connection.execute(query)
    ]  # fmt: skip


async def waiting_counts(unit: Unit) -> dict[int, int]:
    """How many cases wait, by project."""
    r = pre_registrations.c
    query = (
        select(r.project_id, func.count().label("n"))
        .where(r.project_id.is_not(None), r.status == Status.WAITLISTED)
        .group_by(r.project_id)
    )
    return {int(row.project_id): int(row.n) for row in await unit.connection.execute(query)}


async def grants_used(unit: Unit) -> dict[int, int]:
    """The USD cents of the approved and delivered grant items, by project; those of an
    erased case too, from its anonymous statistics."""
    r = pre_registrations.c
    query = (
        select(r.project_id, func.sum(grant_items.c.amount_usd_cents).label("cents"))
        .join(grant_items, grant_items.c.pre_registration_id == r.id)
        .where(r.project_id.is_not(None), grant_items.c.status.in_(SPENT))
        .group_by(r.project_id)
    )
    found = {int(row.project_id): int(row.cents) for row in await unit.connection.execute(query)}
    s = case_statistics.c
    erased = (
        select(s.project_id, func.sum(statistic_grants.c.approved_cents))
        .join(statistic_grants, statistic_grants.c.statistic_id == s.id)
        .where(s.pre_registration_id.is_(None), s.project_id.is_not(None))
        .group_by(s.project_id)
    )
    return await _add(unit, found, erased)


async def of_case(unit: Unit, case_id: int) -> int | None:
    """The project a case joined, if any."""
    query = select(pre_registrations.c.project_id).where(pre_registrations.c.id == case_id)
    found = (await unit.connection.execute(query)).scalar_one_or_none()
    return int(found) if found is not None else None


async def join(
    unit: Unit, case_id: int, project_id: int, waitlisted: bool, actor: str, now: datetime
) -> None:
    """The case joins the project, or its waiting list at the end; audited."""
    values: dict[str, Any] = {"project_id": project_id}
    if waitlisted:
        values["waitlisted_at"] = now
    await unit.connection.execute(
        update(pre_registrations).where(pre_registrations.c.id == case_id).values(values)
    )
    unit.touch(case_id)
    action = "project.waitlisted" if waitlisted else "project.joined"
    await audit.record(unit, action, now, actor=actor, pre_registration_id=case_id,
                       project_id=project_id)  # fmt: skip
