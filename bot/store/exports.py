"""The export's reads: the filter's cases in batches by id, and each batch's related rows with
one query per table, so an export of any size makes a few queries per thousand cases.

A batch is the filter's cases with ids from `low` to `high`: its related rows are chosen by
that range and the same filter in the database, not by a list of a thousand ids, whose
parameters would cost more to bind than the query to run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Result, Row, func, select

from bot.store.accounts import accounts
from bot.store.models import Base
from bot.store.queue import CaseFilter, _where
from bot.store.tables import audit_events, case_members, flags, followups, pre_registrations
from bot.store.unit import Unit

_tables = Base.metadata.tables
projects = _tables["projects"]
plans = _tables["reintegration_plans"]
grant_items = _tables["grant_items"]

STATUS_CHANGED = "case.status_changed"  # the audit action of every move (cases.change_status)


def _text(column: Any, dialect: str, length: int) -> Any:
    """A UTC time as text by the database, 'YYYY-MM-DD' (10) or 'YYYY-MM-DD HH:MM' (16):
    formatting a hundred thousand times in Python would take seconds."""
    if dialect == "postgresql":
        pattern = "YYYY-MM-DD" if length == 10 else "YYYY-MM-DD HH24:MI"
        return func.to_char(func.timezone("UTC", column), pattern)
    return func.substr(column, 1, length)  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS...'


def _batch(column: Any, f: CaseFilter, low: int, high: int) -> Any:
    """The condition on a related table's case id: in the batch."""
    r = pre_registrations.c
    cases = _where(select(r.id), f).where(r.id.between(low, high))
    return column.between(low, high) & column.in_(cases.scalar_subquery())


def _rows(result: Result[Any]) -> Sequence[Any]:
    """A grouped query's rows as plain tuples of any types."""
    rows: Sequence[Any] = result.all()
    return rows


async def cases(unit: Unit, f: CaseFilter, before_id: int | None, limit: int) -> Sequence[Row[Any]]:
    """Up to `limit` cases of the filter with ids below `before_id`, newest first, each with
    when it was received (UTC, as text), its caseworker's username, its project's name and
    caps, and its plan's kind."""
    r = pre_registrations.c
    query = _where(
        select(
            r.id, r.reference, r.status, _text(r.created_at, unit.dialect, 16).label("received"),
            r.source_id, r.answers,
            accounts.c.username.label("assignee"),
            projects.c.name.label("project"), projects.c.grant_cap_cents,
            projects.c.member_cap_cents, plans.c.kind.label("plan_kind"),
        )
        .select_from(
            pre_registrations.outerjoin(accounts, accounts.c.id == r.assigned_to)
            .outerjoin(projects, projects.c.id == r.project_id)
            .outerjoin(plans, plans.c.pre_registration_id == r.id)
        ),
        f,
    )  # fmt: skip
    if before_id is not None:
        query = query.where(r.id < before_id)
    result = await unit.connection.execute(query.order_by(r.id.desc()).limit(limit))
    return result.all()


async def ids(unit: Unit, f: CaseFilter, before_id: int | None, limit: int) -> list[int]:
    """The ids and nothing else, in the same batches as `cases`."""
    r = pre_registrations.c
    query = _where(select(r.id), f)
    if before_id is not None:
        query = query.where(r.id < before_id)
    result = await unit.connection.execute(query.order_by(r.id.desc()).limit(limit))
    return list(result.scalars())


async def flag_names(unit: Unit, f: CaseFilter, low: int, high: int) -> dict[int, tuple[str, ...]]:
    """The flags of these cases, each case's in alphabetical order."""
    result = await unit.connection.execute(
        select(flags.c.pre_registration_id, flags.c.flag)
        .where(_batch(flags.c.pre_registration_id, f, low, high))
        .order_by(flags.c.pre_registration_id, flags.c.flag)
    )
    found: dict[int, list[str]] = {}
    for row in _rows(result):
        found.setdefault(row[0], []).append(row[1])
    return {case_id: tuple(names) for case_id, names in found.items()}


async def status_dates(unit: Unit, f: CaseFilter, low: int, high: int) -> dict[int, dict[str, str]]:
    """The day (UTC, 'YYYY-MM-DD') each of these cases first reached each status it was moved
    to, from the audit. The earliest is kept here: a GROUP BY would cost the database more."""
    a = audit_events.c
    result = await unit.connection.execute(
        select(
            a.pre_registration_id, a.details["to_status"].as_string(), _text(a.at, unit.dialect, 10)
        ).where(_batch(a.pre_registration_id, f, low, high), a.action == STATUS_CHANGED)
    )
    found: dict[int, dict[str, str]] = {}
    for case_id, status, day in _rows(result):
        days = found.setdefault(case_id, {})
        if status not in days or day < days[status]:
            days[status] = day
    return found


async def grant_totals(unit: Unit, f: CaseFilter, low: int, high: int) -> dict[int, dict[str, int]]:
    """The USD cents of these cases' grant items, by item status."""
    g = grant_items.c
    result = await unit.connection.execute(
        select(g.pre_registration_id, g.status, func.sum(g.amount_usd_cents))
        .where(_batch(g.pre_registration_id, f, low, high))
        .group_by(g.pre_registration_id, g.status)
    )
    found: dict[int, dict[str, int]] = {}
    for row in _rows(result):
        found.setdefault(row[0], {})[row[1]] = int(row[2] or 0)
    return found


async def member_counts(unit: Unit, f: CaseFilter, low: int, high: int) -> dict[int, int]:
    """How many family members each of these cases has."""
    m = case_members.c
    result = await unit.connection.execute(
        select(m.pre_registration_id, func.count())
        .where(_batch(m.pre_registration_id, f, low, high))
        .group_by(m.pre_registration_id)
    )
    return {row[0]: int(row[1]) for row in _rows(result)}


async def checkins(unit: Unit, f: CaseFilter, low: int, high: int) -> Sequence[Row[Any]]:
    """These cases' check-ins that have answers or an outcome, oldest first (a later row of
    the same check-in wins)."""
    c = followups.c
    result = await unit.connection.execute(
        select(
            c.pre_registration_id, c.checkin, c.status, c.answers, c.score_economic,
            c.score_social, c.score_psychosocial, c.score_composite,
        )
        .where(_batch(c.pre_registration_id, f, low, high))
        .order_by(c.id)
    )  # fmt: skip
    return result.all()


async def members(unit: Unit, f: CaseFilter, low: int, high: int) -> Sequence[Row[Any]]:
    """These cases' family members with their case's reference, newest case first."""
    m = case_members.c
    result = await unit.connection.execute(
        select(
            pre_registrations.c.reference, m.position, m.name, m.relationship, m.date_of_birth,
            m.travel_document, m.fitness, m.vulnerabilities,
        )
        .join(pre_registrations, pre_registrations.c.id == m.pre_registration_id)
        .where(_batch(m.pre_registration_id, f, low, high))
        .order_by(m.pre_registration_id.desc(), m.position)
    )  # fmt: skip
    return result.all()
