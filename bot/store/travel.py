"""A case's travel plan: its document, flight and escort, one row per case."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, select, update

from bot.store.tables import travel_plans
from bot.store.unit import Unit


@dataclass(frozen=True)
class TravelDetails:
    """What a caseworker fills in: every field may be empty until it is known."""

    document_type: str | None = None
    document_requested_on: date | None = None
    document_received_on: date | None = None
    consulate: str | None = None
    flight_date: date | None = None
    flight_time: time | None = None
    carrier: str | None = None
    flight_number: str | None = None
    airport: str | None = None
    escort_needed: bool = False
    escort: str | None = None


FIELDS = tuple(f.name for f in fields(TravelDetails))


@dataclass(frozen=True)
class TravelRecord:
    details: TravelDetails
    departed_at: datetime | None
    updated_by: str
    updated_at: datetime


async def of_case(unit: Unit, case_id: int) -> TravelRecord | None:
    result = await unit.connection.execute(
        select(travel_plans).where(travel_plans.c.pre_registration_id == case_id)
    )
    row = result.mappings().first()
    if row is None:
        return None
    details = TravelDetails(**{name: row[name] for name in FIELDS})
    return TravelRecord(details, row["departed_at"], row["updated_by"], row["updated_at"])


async def save(
    unit: Unit, case_id: int, details: TravelDetails, actor: str, now: datetime
) -> list[str]:
    """Store the case's travel details; the names of the fields that changed."""
    before = await of_case(unit, case_id)
    values: dict[str, Any] = {name: getattr(details, name) for name in FIELDS}
    values.update(updated_by=actor, updated_at=now)
    if before is None:
        await unit.connection.execute(
            insert(travel_plans).values(pre_registration_id=case_id, **values)
        )
        old = TravelDetails()
    else:
        await unit.connection.execute(
            update(travel_plans)
            .where(travel_plans.c.pre_registration_id == case_id)
            .values(**values)
        )
        old = before.details
    return [name for name in FIELDS if getattr(old, name) != getattr(details, name)]


async def mark_departed(unit: Unit, case_id: int, actor: str, now: datetime) -> None:
    """The case departed now: the date is kept with its travel plan (made if none)."""
    result = await unit.connection.execute(
        update(travel_plans)
        .where(travel_plans.c.pre_registration_id == case_id)
        .values(departed_at=now, updated_by=actor, updated_at=now)
    )
    if result.rowcount == 0:
        await unit.connection.execute(
            insert(travel_plans).values(
                pre_registration_id=case_id,
                escort_needed=False,
                departed_at=now,
                updated_by=actor,
                updated_at=now,
            )
        )
