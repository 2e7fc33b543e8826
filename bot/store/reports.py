"""The reports' figures: GROUP BY queries over the anonymous statistics tables only.

Each function is one query for one table of figures, filtered by `ReportFilter`; cases
closed as duplicates are never counted (the other case counts for them). Periods are the
months of the request, as "YYYY-MM" strings, which sort as dates do.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import Select

from bot.status import UNCOUNTED
from bot.store.reintegration_models import Project
from bot.store.statistics_models import (
    CaseStatistic,
    StatisticCheckin,
    StatisticFlag,
    StatisticGrant,
    StatisticPerson,
    StatisticStep,
)
from bot.store.unit import Unit

_s = CaseStatistic.__table__.c
_p = StatisticPerson.__table__.c
_st = StatisticStep.__table__.c
_f = StatisticFlag.__table__.c
_c = StatisticCheckin.__table__.c
_g = StatisticGrant.__table__.c
_projects = Project.__table__.c

STEPS = ("requested", "accepted", "departed", "returned")  # the funnel's steps, in order
CHECKINS = ("month_3", "month_6", "month_12")  # the funnel's check-ins, then its scores
SENT = ("sent", "answered", "no_reply")  # a check-in that reached the person
DIMENSIONS = ("economic", "social", "psychosocial", "composite")


@dataclass(frozen=True)
class ReportFilter:
    """Which counted cases a report covers; empty fields leave everything in."""

    since: str = ""  # the first month of the request, "YYYY-MM"
    until: str = ""  # the last one
    status: str = ""
    flag: str = ""
    nationality: str = ""
    city: str = ""
    source: int | None = None
    project: int | None = None
    funder: str = ""  # every project the funder pays for


@dataclass(frozen=True)
class Count:
    """Cases and their people (family members included) in one group."""

    key: Any
    cases: int
    people: int


@dataclass(frozen=True)
class Gaps:
    """How many cases went from one step to the next after each number of days."""

    source: str
    target: str
    histogram: dict[int, int]  # days -> cases


async def projects(unit: Unit) -> list[tuple[int, str, list[str]]]:
    """Every project: id, name, funders."""
    rows = await unit.connection.execute(
        select(_projects.id, _projects.name, _projects.funders).order_by(_projects.name)
    )
    return [(row.id, row.name, list(row.funders or [])) for row in rows]


async def nationalities(unit: Unit) -> list[str]:
    """Every nationality of a counted case."""
    query = select(_s.nationality).where(_s.nationality.is_not(None)).distinct()
    return sorted(str(code) for code in (await unit.connection.execute(query)).scalars())


async def _conditions(unit: Unit, f: ReportFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_s.status.not_in([str(s) for s in UNCOUNTED])]
    if f.since:
        where.append(_s.requested_month >= f.since)
    if f.until:
        where.append(_s.requested_month <= f.until)
    for column, value in ((_s.status, f.status), (_s.nationality, f.nationality),
                          (_s.city, f.city)):  # fmt: skip
        if value:
            where.append(column == value)
    if f.source is not None:
        where.append(_s.source_id == f.source)
    if f.project is not None:
        where.append(_s.project_id == f.project)
    if f.funder:  # funders are a JSON list: read the few projects, keep the funder's
        paid = [pid for pid, _name, funders in await projects(unit) if f.funder in funders]
        where.append(_s.project_id.in_(paid) if paid else false())
    if f.flag:
        carried = StatisticFlag.__table__.alias("carried")  # apart from a query's own flags
        where.append(exists().where(carried.c.statistic_id == _s.id, carried.c.flag == f.flag))
    return where


async def _counted(unit: Unit, f: ReportFilter) -> Select[Any]:
    """The ids of the counted cases: a child table read in order, filtered by them, is
    quicker than joined to them row by row."""
    return select(_s.id).where(*await _conditions(unit, f))


async def _rows(unit: Unit, query: Select[Any]) -> list[Any]:
    return list(await unit.connection.execute(query))


async def version(unit: Unit) -> tuple[int, Any]:
    """What changes whenever a counted case does: how many there are and the latest refresh
    (indexed), so figures computed for an older version can be told apart."""
    query = select(func.count(), func.max(_s.refreshed_at))
    row: Any = (await unit.connection.execute(query)).one()
    return int(row[0]), row[1]


@dataclass(frozen=True)
class Group:
    """Cases and people of one combination of the request's month, nationality, city,
    status and outreach source: the service adds them up by each."""

    month: str
    nationality: str | None
    city: str | None
    status: str
    source_id: int | None
    cases: int
    people: int


async def requests(unit: Unit, f: ReportFilter) -> list[Group]:
    """Cases and people by month, nationality, city, status and source, in one pass."""
    keys = (_s.requested_month, _s.nationality, _s.city, _s.status, _s.source_id)
    query = (
        select(*keys, func.count(), func.coalesce(func.sum(_s.people), 0))
        .where(*await _conditions(unit, f))
        .group_by(*keys)
    )
    return [
        Group(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6])) for r in await _rows(unit, query)
    ]


@dataclass(frozen=True)
class People:
    """People of one sex and age band, and how many of them applied (one per case)."""

    sex: str | None
    age_band: str | None
    applicants: int
    people: int


async def people(unit: Unit, f: ReportFilter) -> list[People]:
    """People by their own sex and age band (family members included), in one pass."""
    applicant = func.sum(case((_p.role == "applicant", 1), else_=0))
    query = (
        select(_p.sex, _p.age_band, applicant, func.count())
        .where(_p.statistic_id.in_(await _counted(unit, f)))
        .group_by(_p.sex, _p.age_band)
    )
    return [People(r[0], r[1], int(r[2] or 0), int(r[3])) for r in await _rows(unit, query)]


@dataclass(frozen=True)
class FlagCount:
    """A flag: cases and people carrying it, and the cases where it was acknowledged."""

    flag: str
    cases: int
    people: int
    acknowledged: int


async def flags(unit: Unit, f: ReportFilter) -> list[FlagCount]:
    """Every flag carried by the counted cases."""
    seen = func.sum(case((_f.acknowledged.is_(True), 1), else_=0))
    query = (
        select(_f.flag, func.count(), func.coalesce(func.sum(_s.people), 0), seen)
        .select_from(StatisticFlag.__table__.join(CaseStatistic.__table__))
        .where(*await _conditions(unit, f))
        .group_by(_f.flag)
    )
    return [
        FlagCount(row[0], int(row[1]), int(row[2]), int(row[3] or 0))
        for row in await _rows(unit, query)
    ]


def _milestones() -> Any:
    """(statistic_id, step, day) for the funnel's steps and its answered check-ins."""
    steps = select(_st.statistic_id, cast(_st.step, String).label("step"), _st.day).where(
        _st.step.in_(STEPS)
    )
    answered = select(
        _c.statistic_id, cast(_c.checkin, String).label("step"), cast(_c.day, Integer)
    ).where(_c.checkin.in_(CHECKINS), _c.status == "answered")
    return union_all(steps, answered).subquery("milestones")


def transitions() -> list[tuple[str, str]]:
    """Each step of the funnel and the next one."""
    return list(itertools.pairwise((*STEPS, *CHECKINS)))


async def funnel(unit: Unit, f: ReportFilter) -> tuple[list[Count], list[Gaps]]:
    """Cases and people that reached each step of the funnel; and for each step and the
    next, the days between them as a histogram (small whatever the number of cases, and
    enough for exact medians and percentiles). One statement: each case's days by step
    are laid out once, in a row, then counted."""
    order = (*STEPS, *CHECKINS)
    m = _milestones()
    pivot = (
        select(m.c.statistic_id.label("id"),
               *(func.max(case((m.c.step == name, m.c.day))).label(name) for name in order))
        .group_by(m.c.statistic_id)
        .cte("pivot")
    )  # fmt: skip
    reached = (
        select(*(pivot.c[name] for name in order), _s.people)
        .select_from(pivot.join(CaseStatistic.__table__, pivot.c.id == _s.id))
        .where(*await _conditions(unit, f))
        .cte("reached")
    )
    r = reached.c
    parts: list[Any] = []
    for i, (x, y) in enumerate(transitions()):
        days = r[y] - r[x]
        parts.append(
            select(literal(i).label("kind"), days.label("a"), func.count().label("b"))
            .where(r[x].is_not(None), r[y].is_not(None))
            .group_by(days)
        )
    for i, name in enumerate(order):
        people = func.coalesce(func.sum(case((r[name].is_not(None), r.people), else_=0)), 0)
        parts.append(select(literal(100 + i), func.count(r[name]), people))
    counts: list[Count] = []
    found: dict[tuple[str, str], dict[int, int]] = {pair: {} for pair in transitions()}
    pairs = transitions()
    for kind, a, b in await _rows(unit, union_all(*parts)):  # type: ignore[arg-type]
        if kind >= 100:
            counts.append(Count(order[kind - 100], int(a), int(b)))
        elif a is not None:
            found[pairs[kind]][int(a)] = int(b)
    return counts, [Gaps(x, y, found[x, y]) for x, y in pairs]


@dataclass(frozen=True)
class GrantSums:
    """Grants in one group: how many cases and people, the caps, and the sums, in cents."""

    key: Any
    cases: int
    people: int
    cap: int
    planned: int
    approved: int
    delivered: int


async def grants_by_category(unit: Unit, f: ReportFilter) -> list[GrantSums]:
    """Planned, approved and delivered by category of grant item (no cap: it is the case's)."""
    total = func.coalesce
    query = (
        select(_g.category, func.count(), total(func.sum(_s.people), 0),
               total(func.sum(_g.planned_cents), 0), total(func.sum(_g.approved_cents), 0),
               total(func.sum(_g.delivered_cents), 0))
        .select_from(StatisticGrant.__table__.join(CaseStatistic.__table__))
        .where(*await _conditions(unit, f))
        .group_by(_g.category)
    )  # fmt: skip
    return [
        GrantSums(row[0], int(row[1]), int(row[2]), 0, int(row[3]), int(row[4]), int(row[5]))
        for row in await _rows(unit, query)
    ]


async def grants_by_country(unit: Unit, f: ReportFilter) -> list[GrantSums]:
    """The caps and the grants of the cases with either, by country of return."""
    per_case = (
        select(_g.statistic_id, func.sum(_g.planned_cents).label("planned"),
               func.sum(_g.approved_cents).label("approved"),
               func.sum(_g.delivered_cents).label("delivered"))
        .group_by(_g.statistic_id)
        .subquery("per_case")
    )  # fmt: skip
    total = func.coalesce
    query = (
        select(_s.destination, func.count(), total(func.sum(_s.people), 0),
               total(func.sum(_s.grant_cap_cents), 0), total(func.sum(per_case.c.planned), 0),
               total(func.sum(per_case.c.approved), 0),
               total(func.sum(per_case.c.delivered), 0))
        .select_from(CaseStatistic.__table__.outerjoin(per_case, per_case.c.statistic_id == _s.id))
        .where(or_(_s.grant_cap_cents.is_not(None), per_case.c.statistic_id.is_not(None)),
               *await _conditions(unit, f))
        .group_by(_s.destination)
    )  # fmt: skip
    return [GrantSums(*row[:1], *(int(v) for v in row[1:])) for row in await _rows(unit, query)]


@dataclass(frozen=True)
class ScoreSums:
    """Answered check-ins of one country, plan type and check-in: how many, and for each
    dimension the sum of its scores and how many scores there are."""

    destination: str | None
    plan_kind: str | None
    checkin: str
    cases: int
    sums: dict[str, float]
    counts: dict[str, int]


async def scores(unit: Unit, f: ReportFilter) -> list[ScoreSums]:
    """Sums of the scores by country, plan type and check-in: one query, which the service
    adds up by check-in, by country and by plan type."""
    columns: list[Any] = []
    for name in DIMENSIONS:
        columns += [func.sum(_c[name]), func.count(_c[name])]
    query = (
        select(_s.destination, _s.plan_kind, _c.checkin, func.count(), *columns)
        .select_from(StatisticCheckin.__table__.join(CaseStatistic.__table__))
        .where(_c.checkin.in_(CHECKINS), _c.status == "answered", *await _conditions(unit, f))
        .group_by(_s.destination, _s.plan_kind, _c.checkin)
    )
    found = []
    for row in await _rows(unit, query):
        values = row[4:]
        found.append(ScoreSums(
            row[0], row[1], row[2], int(row[3]),
            {n: float(values[2 * i] or 0) for i, n in enumerate(DIMENSIONS)},
            {n: int(values[2 * i + 1]) for i, n in enumerate(DIMENSIONS)},
        ))  # fmt: skip
    return found


@dataclass(frozen=True)
class Responses:
    """One check-in: how many reached the person, and how many were answered."""

    checkin: str
    sent: int
    answered: int


async def responses(unit: Unit, f: ReportFilter) -> list[Responses]:
    """Every check-in's sent and answered counts."""
    sent = func.sum(case((_c.status.in_(SENT), 1), else_=0))
    answered = func.sum(case((_c.status == "answered", 1), else_=0))
    query = (
        select(_c.checkin, sent, answered)
        .where(_c.statistic_id.in_(await _counted(unit, f)))
        .group_by(_c.checkin)
    )
    return [
        Responses(row[0], int(row[1] or 0), int(row[2] or 0)) for row in await _rows(unit, query)
    ]


def months(first: str, last: str) -> Sequence[str]:
    """Every month from `first` to `last`, "YYYY-MM", both included."""
    year, month = int(first[:4]), int(first[5:7])
    found: list[str] = []
    while f"{year:04d}-{month:02d}" <= last and len(found) < 1200:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
