"""The anonymous statistics of cases: recomputed from the live tables, kept after erasure.

`refresh` rewrites the statistics of many cases in a few statements (see
statistics_models.py for what each column means). A unit refreshes the cases it touched
just before it commits (unit.py); an erasure refreshes its cases before they go, and the
foreign key then cuts their link, so the office's figures stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, case, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.status import Status
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


async def _refresh(unit: Unit, ids: list[int]) -> int:
    cases = await _cases(unit, ids)
    if not cases:
        return 0
    now = datetime.now(UTC)
    ids = sorted(cases)
    for m in await unit.connection.execute(
        select(case_members.c.pre_registration_id, case_members.c.date_of_birth)
        .where(case_members.c.pre_registration_id.in_(ids))
        .order_by(case_members.c.pre_registration_id, case_members.c.position)
    ):
        cases[m.pre_registration_id].members.append(m.date_of_birth)
    e = audit_events.c
    for event in await unit.connection.execute(
        select(e.pre_registration_id, e.action, e.at, e.details)
        .where(e.pre_registration_id.in_(ids), e.action.in_(_MOVES))
        .order_by(e.at, e.id)
    ):
        target = (
            Status.IN_REVIEW.value
            if event.action == "case.corrected"
            else (event.details or {}).get("to_status")
        )
        if isinstance(target, str):
            cases[event.pre_registration_id].steps.setdefault(target, event.at)
    rows = [_facts(one, now) for one in cases.values()]
    statistic_ids = await _upsert(unit, rows)
    for table in CHILDREN:
        await unit.connection.execute(
            delete(table).where(table.c.statistic_id.in_(list(statistic_ids.values())))
        )
    children: dict[Table, list[dict[str, Any]]] = {table: [] for table in CHILDREN}
    for case_id, one in cases.items():
        sid = statistic_ids[case_id]
        children[statistic_people].extend(_people(sid, one))
        children[statistic_steps].extend(_steps(sid, one))
    children[statistic_flags] = await _flags(unit, ids, statistic_ids)
    children[statistic_checkins] = await _checkins(unit, cases, statistic_ids)
    children[statistic_grants] = await _grants(unit, ids, statistic_ids)
    for table, values in children.items():
        if values:
            await unit.connection.execute(insert(table), values)
    return len(cases)


async def _cases(unit: Unit, ids: list[int]) -> dict[int, _Case]:
    """The cases' own facts, their rows locked (PostgreSQL) so that two transactions
    refreshing one case do it one after the other, each on what the other committed."""
    r, p, pl = pre_registrations.c, _projects.c, _plans.c
    query = (
        select(
            r.id,
            r.created_at,
            r.nationality,
            r.date_of_birth,
            r.current_city,
            r.source_id,
            r.project_id,
            r.status,
            r.status_changed_at,
            r.answers["sex"].as_string().label("sex"),
            r.answers["destination_country"].as_string().label("destination"),
            pl.kind.label("plan_kind"),
            p.grant_cap_cents,
            p.member_cap_cents,
        )
        .select_from(
            pre_registrations.outerjoin(_plans, pl.pre_registration_id == r.id).outerjoin(
                _projects, p.id == r.project_id
            )
        )
        .where(r.id.in_(ids))
        .order_by(r.id)
    )
    if unit.dialect == "postgresql":
        query = query.with_for_update(of=pre_registrations)
    result = await unit.connection.execute(query)
    return {row["id"]: _Case(dict(row), [], {}) for row in result.mappings()}


def _facts(one: _Case, now: datetime) -> dict[str, Any]:
    row = one.row
    requested: datetime = row["created_at"]
    people = 1 + len(one.members)
    cap = row["grant_cap_cents"]
    if cap is not None and row["member_cap_cents"] is not None:
        cap += row["member_cap_cents"] * len(one.members)
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
        "people": people,
        "plan_kind": _code(row["plan_kind"]),
        "grant_cap_cents": cap,
        "refreshed_at": now,
    }


async def _upsert(unit: Unit, rows: list[dict[str, Any]]) -> dict[int, int]:
    """Insert or update the cases' rows; their ids, by case id."""
    dialect = postgresql if unit.dialect == "postgresql" else sqlite
    statement = dialect.insert(case_statistics).values(rows)
    columns = [name for name in rows[0] if name != "pre_registration_id"]
    statement = statement.on_conflict_do_update(
        index_elements=[case_statistics.c.pre_registration_id],
        set_={name: statement.excluded[name] for name in columns},
    ).returning(case_statistics.c.pre_registration_id, case_statistics.c.id)
    result = await unit.connection.execute(statement)
    return {int(case_id): int(sid) for case_id, sid in map(tuple, result.all())}


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


async def _flags(unit: Unit, ids: list[int], sids: Mapping[int, int]) -> list[dict[str, Any]]:
    f = flags.c
    result = await unit.connection.execute(
        select(f.pre_registration_id, f.flag, f.acknowledged_at.is_not(None)).where(
            f.pre_registration_id.in_(ids)
        )
    )
    return [
        {"statistic_id": sids[case_id], "flag": flag, "acknowledged": bool(seen)}
        for case_id, flag, seen in map(tuple, result.all())
    ]


async def _checkins(
    unit: Unit, cases: Mapping[int, _Case], sids: Mapping[int, int]
) -> list[dict[str, Any]]:
    c = followups.c
    result = await unit.connection.execute(
        select(c.pre_registration_id, c.checkin, c.status, c.answered_at, c.score_economic,
               c.score_social, c.score_psychosocial, c.score_composite)
        .where(c.pre_registration_id.in_(list(cases)))
    )  # fmt: skip
    rows = []
    for row in result:
        requested = cases[row.pre_registration_id].row["created_at"]
        rows.append(
            {
                "statistic_id": sids[row.pre_registration_id],
                "checkin": row.checkin,
                "status": row.status,
                "day": None if row.answered_at is None else _days(row.answered_at, requested),
                "economic": row.score_economic,
                "social": row.score_social,
                "psychosocial": row.score_psychosocial,
                "composite": row.score_composite,
            }
        )
    return rows


async def _grants(unit: Unit, ids: list[int], sids: Mapping[int, int]) -> list[dict[str, Any]]:
    """Per category, cumulative: planned counts every item, approved the approved and
    delivered ones, delivered the delivered ones."""
    g = _grant_items.c

    def total(*statuses: str) -> Any:
        return func.coalesce(
            func.sum(case((g.status.in_(statuses), g.amount_usd_cents), else_=0)), 0
        )

    result = await unit.connection.execute(
        select(
            g.pre_registration_id,
            g.category,
            func.coalesce(func.sum(g.amount_usd_cents), 0),
            total("approved", "delivered"),
            total("delivered"),
        )
        .where(g.pre_registration_id.in_(ids))
        .group_by(g.pre_registration_id, g.category)
    )
    return [
        {
            "statistic_id": sids[case_id],
            "category": category,
            "planned_cents": int(planned),
            "approved_cents": int(approved),
            "delivered_cents": int(delivered),
        }
        for case_id, category, planned, approved, delivered in map(tuple, result.all())
    ]


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


async def missing(unit: Unit) -> bool:
    """Cases exist but no statistics at all: a database from before the statistics."""
    has_cases = select(pre_registrations.c.id).exists()
    has_statistics = select(case_statistics.c.id).exists()
    result = await unit.connection.execute(select(has_cases & ~has_statistics))
    return bool(result.scalar())
