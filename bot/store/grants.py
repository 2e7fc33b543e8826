"""A case's reintegration plan and its grant's items, with the facts that cap the grant.

Every function that changes a plan or an item notes the case as touched (`Unit.touch`):
its statistics follow.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from bot.store.models import Base
from bot.store.reintegration_models import GrantItem, Project, ReintegrationPlan
from bot.store.tables import case_members, followups, pre_registrations
from bot.store.unit import Unit

plans = Base.metadata.tables[ReintegrationPlan.__tablename__]
items = Base.metadata.tables[GrantItem.__tablename__]
projects = Base.metadata.tables[Project.__tablename__]

PLANNED, APPROVED, DELIVERED = "planned", "approved", "delivered"
STATUSES = (PLANNED, APPROVED, DELIVERED)


@dataclass(frozen=True)
class Plan:
    """What was agreed with the returnee; `agreed_on` None while it is being discussed."""

    kind: str
    description: str
    partner: str
    agreed_on: date | None


PLAN_FIELDS = tuple(f.name for f in fields(Plan))


@dataclass(frozen=True)
class PlanRecord:
    plan: Plan
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class Costing:
    """An item as the caseworker describes and prices it: the amount in USD is computed."""

    description: str
    category: str
    vendor: str
    quantity: int
    unit_cost_cents: int
    currency: str
    usd_rate: str  # USD for one unit of `currency`, a decimal written exactly
    amount_usd_cents: int


COSTING_FIELDS = tuple(f.name for f in fields(Costing))


@dataclass(frozen=True)
class Item:
    id: int
    case_id: int
    costing: Costing
    status: str
    approved_at: datetime | None
    approved_by: str | None
    override_note: str | None
    delivered_on: date | None
    proof: str | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Caps:
    """What caps a case's grant: its project's caps, or none (the settings' then apply),
    and how many family members travel with the returnee."""

    project: str | None
    grant_cap_cents: int | None
    member_cap_cents: int | None
    members: int


@dataclass(frozen=True)
class Scores:
    """One answered check-in's scores, 0 to 1; None where it measures none."""

    checkin: str
    answered_at: datetime
    economic: float | None
    social: float | None
    psychosocial: float | None
    composite: float | None


async def plan_of(unit: Unit, case_id: int) -> PlanRecord | None:
    result = await unit.connection.execute(
        select(plans).where(plans.c.pre_registration_id == case_id)
    )
    row = result.mappings().first()
    if row is None:
        return None
    plan = Plan(**{name: row[name] for name in PLAN_FIELDS})
    return PlanRecord(plan, row["updated_by"], row["updated_at"])


async def save_plan(
    unit: Unit, case_id: int, plan: Plan, actor: str, now: datetime
) -> tuple[list[str], Plan | None]:
    """Store the case's plan: the names of the fields that changed, and the plan before."""
    before = await plan_of(unit, case_id)
    values: dict[str, Any] = {name: getattr(plan, name) for name in PLAN_FIELDS}
    values.update(updated_by=actor, updated_at=now)
    if before is None:
        await unit.connection.execute(insert(plans).values(pre_registration_id=case_id, **values))
    else:
        await unit.connection.execute(
            update(plans).where(plans.c.pre_registration_id == case_id).values(**values)
        )
    unit.touch(case_id)
    old = before.plan if before else None
    return [n for n in PLAN_FIELDS if old is None or getattr(old, n) != getattr(plan, n)], old


def _item(row: Any) -> Item:
    return Item(
        id=row["id"],
        case_id=row["pre_registration_id"],
        costing=Costing(**{name: row[name] for name in COSTING_FIELDS}),
        status=row["status"],
        approved_at=row["approved_at"],
        approved_by=row["approved_by"],
        override_note=row["override_note"],
        delivered_on=row["delivered_on"],
        proof=row["proof"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


async def items_of(unit: Unit, case_id: int) -> list[Item]:
    """The case's items, in the order they were added."""
    result = await unit.connection.execute(
        select(items).where(items.c.pre_registration_id == case_id).order_by(items.c.id)
    )
    return [_item(row) for row in result.mappings()]


async def item(unit: Unit, case_id: int, item_id: int) -> Item | None:
    """One item of the case, locked for the change about to be made (PostgreSQL), and the
    case with it: two approvals of its items at once would each check the cap alone."""
    await unit.connection.execute(
        select(pre_registrations.c.id).where(pre_registrations.c.id == case_id).with_for_update()
    )
    result = await unit.connection.execute(
        select(items)
        .where(items.c.id == item_id, items.c.pre_registration_id == case_id)
        .with_for_update()
    )
    row = result.mappings().first()
    return _item(row) if row is not None else None


async def add_item(unit: Unit, case_id: int, costing: Costing, actor: str, now: datetime) -> int:
    """A planned item; its id."""
    result = await unit.connection.execute(
        insert(items)
        .values(
            pre_registration_id=case_id,
            status=PLANNED,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **{name: getattr(costing, name) for name in COSTING_FIELDS},
        )
        .returning(items.c.id)
    )
    unit.touch(case_id)
    return int(result.scalar_one())


async def change_item(
    unit: Unit, case_id: int, item_id: int, costing: Costing, now: datetime
) -> bool:
    """A planned item described or priced anew; False if it is no longer planned."""
    result = await unit.connection.execute(
        update(items)
        .where(
            items.c.id == item_id,
            items.c.pre_registration_id == case_id,
            items.c.status == PLANNED,
        )
        .values(updated_at=now, **{name: getattr(costing, name) for name in COSTING_FIELDS})
    )
    unit.touch(case_id)
    return bool(result.rowcount)


async def remove_item(unit: Unit, case_id: int, item_id: int) -> bool:
    """A planned item taken off the ledger; False if it is no longer planned."""
    result = await unit.connection.execute(
        delete(items).where(
            items.c.id == item_id,
            items.c.pre_registration_id == case_id,
            items.c.status == PLANNED,
        )
    )
    unit.touch(case_id)
    return bool(result.rowcount)


async def approve(
    unit: Unit, case_id: int, item_id: int, actor: str, note: str | None, now: datetime
) -> bool:
    """A planned item approved (over the cap: with the supervisor's note); False if it is
    no longer planned."""
    result = await unit.connection.execute(
        update(items)
        .where(
            items.c.id == item_id,
            items.c.pre_registration_id == case_id,
            items.c.status == PLANNED,
        )
        .values(
            status=APPROVED, approved_at=now, approved_by=actor, override_note=note, updated_at=now
        )
    )
    unit.touch(case_id)
    return bool(result.rowcount)


async def deliver(
    unit: Unit, case_id: int, item_id: int, delivered_on: date, proof: str, now: datetime
) -> bool:
    """An approved item delivered, with its proof; False if it is not approved."""
    result = await unit.connection.execute(
        update(items)
        .where(
            items.c.id == item_id,
            items.c.pre_registration_id == case_id,
            items.c.status == APPROVED,
        )
        .values(status=DELIVERED, delivered_on=delivered_on, proof=proof, updated_at=now)
    )
    unit.touch(case_id)
    return bool(result.rowcount)


async def totals(unit: Unit, case_id: int) -> dict[str, int]:
    """The amounts in USD cents by status (planned, approved, delivered), zero for none."""
    result: Any = await unit.connection.execute(
        select(items.c.status, func.coalesce(func.sum(items.c.amount_usd_cents), 0))
        .where(items.c.pre_registration_id == case_id)
        .group_by(items.c.status)
    )
    found = {row[0]: int(row[1]) for row in result}
    return {status: found.get(status, 0) for status in STATUSES}


async def caps(unit: Unit, case_id: int) -> Caps:
    """The case's project's caps (none without a project) and its family members' number."""
    members = select(func.count()).where(case_members.c.pre_registration_id == case_id)
    result = await unit.connection.execute(
        select(
            projects.c.name,
            projects.c.grant_cap_cents,
            projects.c.member_cap_cents,
            members.scalar_subquery(),
        )
        .select_from(pre_registrations.outerjoin(projects))
        .where(pre_registrations.c.id == case_id)
    )
    row: Any = result.first()
    if row is None:
        return Caps(None, None, None, 0)
    return Caps(row[0], row[1], row[2], int(row[3]))


async def scores(unit: Unit, case_id: int) -> list[Scores]:
    """The case's answered check-ins that carry a score, oldest first."""
    columns = (
        followups.c.score_economic,
        followups.c.score_social,
        followups.c.score_psychosocial,
        followups.c.score_composite,
    )
    result = await unit.connection.execute(
        select(followups.c.checkin, followups.c.answered_at, *columns)
        .where(
            followups.c.pre_registration_id == case_id,
            followups.c.answered_at.is_not(None),
            func.coalesce(*columns).is_not(None),
        )
        .order_by(followups.c.answered_at, followups.c.id)
    )
    return [Scores(*tuple(row)) for row in result]
