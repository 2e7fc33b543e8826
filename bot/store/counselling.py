"""A case's counselling checklist as recorded, its refusal reason and its duplicate link."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, insert, select, update

from bot.checklist import Entry
from bot.store.tables import case_checklist, pre_registrations
from bot.store.unit import Unit


async def entries(unit: Unit, case_id: int) -> dict[str, Entry]:
    """What was recorded for each item of a case's checklist, by item id."""
    c = case_checklist.c
    result = await unit.connection.execute(
        select(c.item, c.value, c.done_on, c.done_by, c.recorded_by).where(
            c.pre_registration_id == case_id
        )
    )
    return {row["item"]: Entry(**row) for row in result.mappings()}


async def record(
    unit: Unit,
    case_id: int,
    item: str,
    value: str,
    done_on: date | None,
    done_by: str,
    actor: str,
    now: datetime,
) -> None:
    """Replace what a case's checklist holds for one item."""
    c = case_checklist.c
    await unit.connection.execute(
        delete(case_checklist).where(c.pre_registration_id == case_id, c.item == item)
    )
    await unit.connection.execute(
        insert(case_checklist).values(
            pre_registration_id=case_id,
            item=item,
            value=value,
            done_on=done_on,
            done_by=done_by,
            recorded_by=actor,
            recorded_at=now,
        )
    )


async def clear(unit: Unit, case_id: int, item: str) -> bool:
    """Forget what was recorded for one item; whether there was anything."""
    c = case_checklist.c
    result = await unit.connection.execute(
        delete(case_checklist).where(c.pre_registration_id == case_id, c.item == item)
    )
    return bool(result.rowcount)


async def set_refusal_reason(unit: Unit, case_id: int, reason: str | None) -> None:
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(refusal_reason=reason)
    )


async def set_duplicate_of(unit: Unit, case_id: int, other_id: int) -> None:
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(duplicate_of=other_id)
    )


async def decision(unit: Unit, case_id: int) -> tuple[str | None, str | None]:
    """The case's refusal reason, and the reference of the case it duplicates, if any."""
    r = pre_registrations.c
    other = pre_registrations.alias("other")
    row = (
        await unit.connection.execute(
            select(r.refusal_reason, other.c.reference)
            .select_from(pre_registrations.outerjoin(other, other.c.id == r.duplicate_of))
            .where(r.id == case_id)
        )
    ).first()
    if row is None:
        return None, None
    return row._mapping["refusal_reason"], row._mapping["reference"]
