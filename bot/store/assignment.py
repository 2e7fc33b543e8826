"""Who owns a case: the caseworker it is assigned to, or nobody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.store import audit
from bot.store.tables import pre_registrations
from bot.store.unit import Unit


async def assignee(unit: Unit, case_id: int) -> int | None:
    """The account the case is assigned to, or None."""
    result = await unit.connection.execute(
        select(pre_registrations.c.assigned_to).where(pre_registrations.c.id == case_id)
    )
    return result.scalar_one_or_none()


async def assign(
    unit: Unit, case_id: int, account_id: int | None, actor: str, now: datetime
) -> bool:
    """Assign the case to `account_id` (None: to nobody); False if it already was."""
    before = await assignee(unit, case_id)
    if before == account_id:
        return False
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(assigned_to=account_id)
    )
    await audit.record(
        unit,
        "case.assigned",
        now,
        actor=actor,
        pre_registration_id=case_id,
        account_id=account_id,
        previous_account_id=before,
    )
    return True
