"""The anonymous statistics of cases: recomputed from the live tables, kept after erasure.

`refresh` rewrites the statistics of many cases in a few statements (see
statistics_models.py for what each column means). A unit refreshes the cases it touched
just before it commits (unit.py); an erasure refreshes its cases before they go, and the
foreign key then cuts their link, so the office's figures stay as they were.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter

from bot.status import TRANSITIONS, Status
from bot.store.models import Base
from bot.store.tables import audit_events, case_members, flags, followups, pre_registrations

if TYPE_CHECKING:
    from bot.store.unit import Store, Unit

BATCH = 1000  # cases per statement: within SQLite's and asyncpg's limits on parameters

# Age bands at the request, youngest first: (label, first age, last age or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-49", 35, 49),
    ("50-64", 50, 64),
    ("65+", 65, None),
)
APPLICANT, MEMBER = "applicant", "member"
REQUESTED = "requested"  # the first step of every case
# The audit events that move a case, and the status each moves it to.
_MOVES = ("case.status_changed", "case.corrected")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,23}")  # an option's code, never a person's words
_COUNTRY = re.compile(r"[A-Z]{2}")

_tables = Base.metadata.tables
case_statistics: Table = _tables["case_statistics"]
statistic_people: Table = _tables["statistic_people"]
statistic_steps: Table = _tables["statistic_steps"]
statistic_flags: Table = _tables["statistic_flags"]
statistic_checkins: Table = _tables["statistic_checkins"]
statistic_grants: Table = _tables["statistic_grants"]
_projects: Table = _tables["projects"]
_plans: Table = _tables["reintegration_plans"]
_grant_items: Table = _tables["grant_items"]
CHILDREN = (statistic_people, statistic_steps, statistic_flags, statistic_checkins,
            statistic_grants)  # fmt: skip
TABLES = (case_statistics, *CHILDREN)


def age(born: str | None, on: date) -> int | None:
    """Age in whole years on a day, from a birth date as answered: ISO, or a year alone (then
    the age the person reaches that year)."""
    if not born:
        return None
    try:
        if len(born) == 4:
            years = on.year - int(born)
        else:
            birth = date.fromisoformat(born)
            years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    except ValueError:
        return None
    return years if 0 <= years < 130 else None


def age_band(born: str | None, on: date) -> str | None:
    """The band (`AGE_BANDS`) of someone born `born` (ISO or a year), on that day."""
    years = age(born, on)
    if years is None:
        return None
    for label, first, last in AGE_BANDS:
        if years >= first and (last is None or years <= last):
            return label
    return None


def month(at: datetime) -> str:
    """ "2026-11": the month of a moment, in UTC."""
    return at.astimezone(UTC).strftime("%Y-%m")


def _days(at: datetime, since: datetime) -> int:
    return max((at - since).days, 0)


def _code(value: Any) -> str | None:
    """An option's code; anything else (a typed text) is not kept."""
    return value if isinstance(value, str) and _CODE.fullmatch(value) else None


def _country(value: Any) -> str | None:
    return value if isinstance(value, str) and _COUNTRY.fullmatch(value) else None


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


async def refresh(unit: Unit, case_ids: Collection[int]) -> int:
    """Recompute and store the statistics of these cases; how many were found (an erased
    case is skipped: its row keeps the facts it had)."""
    found = 0
    for chunk in _chunks(case_ids):
        found += await _refresh(unit, chunk)
    return found


@dataclass
class _Case:
    """What one case's statistics are made from."""

    row: Mapping[str, Any]
    members: list[str | None]
    steps: dict[str, datetime]


# The statements, built once: each names its cases as one expanding parameter.
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_r, _p, _pl = pre_registrations.c, _projects.c, _plans.c
_CASES = (
    select(
        _r.id, _r.created_at, _r.nationality, _r.date_of_birth, _r.current_city, _r.source_id,
        _r.project_id, _r.status, _r.status_changed_at,
        _r.answers["sex"].as_string().label("sex"),
        _r.answers["destination_country"].as_string().label("destination"),
        _pl.kind.label("plan_kind"), _p.grant_cap_cents, _p.member_cap_cents,
    )
    .select_from(
        pre_registrations.outerjoin(_plans, _pl.pre_registration_id == _r.id).outerjoin(
            _projects, _p.id == _r.project_id
        )
    )
    .where(_r.id.in_(_IDS))
    .order_by(_r.id)
)  # fmt: skip
# PostgreSQL: the cases' rows are locked, so two transactions refreshing one case do it
# one after the other, the second on what the first committed.
_CASES_LOCKED = _CASES.with_for_update(of=pre_registrations)
_MEMBERS = (
    select(case_members.c.pre_registration_id, case_members.c.date_of_birth)
    .where(case_members.c.pre_registration_id.in_(_IDS))
    .order_by(case_members.c.pre_registration_id, case_members.c.position)
)
_e = audit_events.c
# Ordered here rather than in SQL: ordered by time, a planner may walk the whole log.
_MOVED = select(_e.pre_registration_id, _e.action, _e.at, _e.id, _e.details).where(
    _e.pre_registration_id.in_(_IDS), _e.action.in_(_MOVES)
)
_FLAGS = select(
    flags.c.pre_registration_id, flags.c.flag, flags.c.acknowledged_at.is_not(None)
).where(flags.c.pre_registration_id.in_(_IDS))
_c = followups.c
_CHECKINS = select(
    _c.pre_registration_id, _c.checkin, _c.status, _c.answered_at, _c.score_economic,
    _c.score_social, _c.score_psychosocial, _c.score_composite,
).where(_c.pre_registration_id.in_(_IDS))  # fmt: skip
_g = _grant_items.c


def _total(*statuses: str) -> Any:
    return func.coalesce(func.sum(case((_g.status.in_(statuses), _g.amount_usd_cents), else_=0)), 0)


# Per category, cumulative: planned counts every item, approved the approved and delivered
# ones, delivered the delivered ones.
_GRANTS = (
    select(
        _g.pre_registration_id,
        _g.category,
        func.coalesce(func.sum(_g.amount_usd_cents), 0),
        _total("approved", "delivered"),
        _total("delivered"),
    )
    .where(_g.pre_registration_id.in_(_IDS))
    .group_by(_g.pre_registration_id, _g.category)
)
_SIDS: BindParameter[int] = bindparam("sids", expanding=True)
_CLEAR = [delete(table).where(table.c.statistic_id.in_(_SIDS)) for table in CHILDREN]
_ADD = {table: insert(table) for table in CHILDREN}
_FACTS = ("requested_month", "nationality", "destination", "sex", "age_band", "city",
          "source_id", "project_id", "status", "people", "plan_kind", "grant_cap_cents",
          "refreshed_at")  # fmt: skip


def _upsert_statement(dialect: Any) -> Any:
    statement = dialect.insert(case_statistics)
    return statement.on_conflict_do_update(
        index_elements=[case_statistics.c.pre_registration_id],
        set_={name: statement.excluded[name] for name in _FACTS},
    ).returning(case_statistics.c.pre_registration_id, case_statistics.c.id)


_UPSERT = {"postgresql": _upsert_statement(postgresql), "sqlite": _upsert_statement(sqlite)}


async def _refresh(unit: Unit, ids: list[int]) -> int:
    run = unit.connection.execute
    found = await run(_CASES_LOCKED if unit.dialect == "postgresql" else _CASES, {"ids": ids})
    cases = {row["id"]: _Case(dict(row), [], {}) for row in found.mappings()}
    if not cases:
        return 0
    ids = sorted(cases)
    for m in await run(_MEMBERS, {"ids": ids}):
        cases[m.pre_registration_id].members.append(m.date_of_birth)
    for event in sorted(await run(_MOVED, {"ids": ids}), key=lambda e: (e.at, e.id)):
        target = (
            Status.IN_REVIEW.value
            if event.action == "case.corrected"
            else (event.details or {}).get("to_status")
        )
        if isinstance(target, str):
            cases[event.pre_registration_id].steps.setdefault(target, event.at)
    grants = (await run(_GRANTS, {"ids": ids})).all()
    granted = {int(row[0]) for row in grants}
    now = datetime.now(UTC)
    rows = [_facts(one, now, unit.grant_caps, one.row["id"] in granted) for one in cases.values()]
    result = await run(_UPSERT[unit.dialect], rows)
    sids = {int(case_id): int(sid) for case_id, sid in map(tuple, result.all())}
    for statement in _CLEAR:
        await run(statement, {"sids": list(sids.values())})
    children: dict[Table, list[dict[str, Any]]] = {table: [] for table in CHILDREN}
    for case_id, one in cases.items():
        children[statistic_people].extend(_people(sids[case_id], one))
        children[statistic_steps].extend(_steps(sids[case_id], one))
    children[statistic_flags] = [
        {"statistic_id": sids[case_id], "flag": flag, "acknowledged": bool(seen)}
        for case_id, flag, seen in map(tuple, (await run(_FLAGS, {"ids": ids})).all())
    ]
    children[statistic_checkins] = [
        _checkin(sids[row.pre_registration_id], cases[row.pre_registration_id], row)
        for row in await run(_CHECKINS, {"ids": ids})
    ]
    children[statistic_grants] = [
        {"statistic_id": sids[case_id], "category": category, "planned_cents": int(planned),
         "approved_cents": int(approved), "delivered_cents": int(delivered)}
        for case_id, category, planned, approved, delivered in map(tuple, grants)
    ]  # fmt: skip
    for table, values in children.items():
        if values:
            await run(_ADD[table], values)
    return len(cases)


def _facts(
    one: _Case, now: datetime, default_caps: tuple[int, int | None], granted: bool
) -> dict[str, Any]:
    """A case's cap counts once its grant is prepared (a plan, or items): its project's,
    else `default_caps` (the settings', per person and per family member). A case that only
    waited for a project, or left it, counts no cap."""
    row = one.row
    requested: datetime = row["created_at"]
    cap: int | None = None
    if granted or row["plan_kind"] is not None:
        cap, member_cap = row["grant_cap_cents"], row["member_cap_cents"]
        if cap is None:
            cap, member_cap = default_caps
        if member_cap is not None:
            cap += member_cap * len(one.members)
    city = row["current_city"]
    nationality = _country(row["nationality"])
    return {
        "pre_registration_id": row["id"],
        "requested_month": month(requested),
        "nationality": nationality,
        "destination": _country(row["destination"]) or nationality,
        "sex": _code(row["sex"]),
        "age_band": age_band(row["date_of_birth"], requested.date()),
        "city": None if city is None else (_code(city) or "other"),
        "source_id": row["source_id"],
        "project_id": row["project_id"],
        "status": row["status"],
        "people": 1 + len(one.members),
        "plan_kind": _code(row["plan_kind"]),
        "grant_cap_cents": cap,
        "refreshed_at": now,
    }


def _people(sid: int, one: _Case) -> list[dict[str, Any]]:
    on = one.row["created_at"].date()
    applicant = {
        "statistic_id": sid,
        "role": APPLICANT,
        "sex": _code(one.row["sex"]),
        "age_band": age_band(one.row["date_of_birth"], on),
    }
    members = [
        {"statistic_id": sid, "role": MEMBER, "sex": None, "age_band": age_band(born, on)}
        for born in one.members
    ]
    return [applicant, *members]


def _steps(sid: int, one: _Case) -> list[dict[str, Any]]:
    requested: datetime = one.row["created_at"]
    reached = {REQUESTED: requested, **one.steps}
    status = one.row["status"]
    if status != Status.SUBMITTED and status not in reached:  # moved without an audit event
        reached[status] = one.row["status_changed_at"] or requested
    return [
        {"statistic_id": sid, "step": step, "month": month(at), "day": _days(at, requested)}
        for step, at in reached.items()
    ]


def _checkin(sid: int, one: _Case, row: Any) -> dict[str, Any]:
    answered = row.answered_at
    return {
        "statistic_id": sid,
        "checkin": row.checkin,
        "status": row.status,
        "day": None if answered is None else _days(answered, one.row["created_at"]),
        "economic": row.score_economic,
        "social": row.score_social,
        "psychosocial": row.score_psychosocial,
        "composite": row.score_composite,
    }


# Where a person's erasure withdraws their request: wherever a withdrawal could still happen.
WITHDRAWABLE = frozenset(s.value for s, moves in TRANSITIONS.items() if Status.WITHDRAWN in moves)


async def withdraw(unit: Unit, case_ids: Collection[int], now: datetime) -> None:
    """Their person erased them (/delete): the statistics of those still open say that the
    request was withdrawn then, as the consent says erasing does. Call after `refresh`."""
    r, s = pre_registrations.c, case_statistics.c
    result = await unit.connection.execute(
        select(s.id, r.created_at)
        .join(pre_registrations, r.id == s.pre_registration_id)
        .where(r.id.in_(list(case_ids)), r.status.in_(sorted(WITHDRAWABLE)))
    )
    rows: list[tuple[int, datetime]] = [(row.id, row.created_at) for row in result]
    if not rows:
        return
    await unit.connection.execute(
        update(case_statistics)
        .where(s.id.in_([sid for sid, _ in rows]))
        .values(status=Status.WITHDRAWN.value, refreshed_at=now)
    )
    await unit.connection.execute(
        insert(statistic_steps),
        [
            {"statistic_id": sid, "step": Status.WITHDRAWN.value, "month": month(now),
             "day": _days(now, requested)}
            for sid, requested in rows
        ],
    )  # fmt: skip


async def live_ids(unit: Unit, after: int, limit: int = BATCH) -> list[int]:
    """The next `limit` cases by id, after `after`: every live case, page by page."""
    r = pre_registrations.c
    result = await unit.connection.execute(
        select(r.id).where(r.id > after).order_by(r.id).limit(limit)
    )
    return list(result.scalars())


async def rebuild(store: Store, batch: int = BATCH) -> int:
    """Refresh every live case, `batch` cases per transaction; how many."""
    done, after = 0, 0
    while True:
        async with store.unit() as unit:
            ids = await live_ids(unit, after, batch)
            if not ids:
                return done
            done += await refresh(unit, ids)
        after = ids[-1]
        await asyncio.sleep(0)  # SQLite runs on the event loop: the chats go on between


async def missing(unit: Unit) -> bool:
    """Cases exist but no statistics at all: a database from before the statistics."""
    has_cases = select(pre_registrations.c.id).exists()
    has_statistics = select(case_statistics.c.id).exists()
    result = await unit.connection.execute(select(has_cases & ~has_statistics))
    return bool(result.scalar())
