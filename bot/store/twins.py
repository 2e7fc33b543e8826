"""Cases that may be the same person: by phone, by name and birth date, or linked by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select

from bot.store.repository import RegistrationRecord, Unit
from bot.store.tables import case_links, pre_registrations

Case = RegistrationRecord


@dataclass(frozen=True)
class Twin:
    reference: str
    status: str
    full_name: str | None
    linked: bool


async def of_case(unit: Unit, case: Case) -> list[Twin]:
    """Other cases with the same phone, or the same name and birth date, and linked ones."""
    r = pre_registrations.c
    row = (
        (
            await unit.connection.execute(
                select(r.phone, r.name_key, r.date_of_birth).where(r.id == case.id)
            )
        )
        .mappings()
        .one()
    )
    same: list[Any] = []
    if row["phone"]:
        same.append(r.phone == row["phone"])
    if row["name_key"] and row["date_of_birth"]:
        same.append((r.name_key == row["name_key"]) & (r.date_of_birth == row["date_of_birth"]))
    linked_ids = set(
        (
            await unit.connection.execute(
                select(case_links.c.other_id).where(case_links.c.case_id == case.id)
            )
        ).scalars()
    )
    if linked_ids:
        same.append(r.id.in_(linked_ids))
    if not same:
        return []
    result = await unit.connection.execute(
        select(r.id, r.reference, r.status, r.full_name)
        .where(or_(*same), r.id != case.id)
        .order_by(r.created_at)
    )
    return [
        Twin(m["reference"], m["status"], m["full_name"], m["id"] in linked_ids)
        for m in result.mappings()
    ]


async def link(unit: Unit, case: Case, other: Case, actor: str, now: datetime) -> None:
    """Record both cases as the same person (both directions); audited."""
    for a, b in ((case, other), (other, case)):
        exists_already = (
            await unit.connection.execute(
                select(case_links.c.case_id).where(
                    case_links.c.case_id == a.id, case_links.c.other_id == b.id
                )
            )
        ).first()
        if exists_already is None:
            await unit.connection.execute(
                insert(case_links).values(
                    case_id=a.id, other_id=b.id, linked_by=actor, linked_at=now
                )
            )
    await unit.audit(
        "case.linked", now, actor=actor, pre_registration_id=case.id, other_case=other.id
    )
