"""Cases that may be the same person: by phone, by name and birth date, or linked by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, or_, select

from bot.flags import DUPLICATE
from bot.store import audit
from bot.store.tables import case_links, flags, pre_registrations
from bot.store.unit import Unit

if TYPE_CHECKING:
    from bot.store.cases import CaseRecord


async def duplicates(unit: Unit, case_id: int, values: dict[str, Any]) -> list[int]:
    """Other cases with the same phone, or the same name key and birth date, as `values`."""
    r = pre_registrations.c
    same: list[Any] = []
    if values["phone"]:
        same.append(r.phone == values["phone"])
    if values["name_key"] and values["date_of_birth"]:
        same.append(
            (r.name_key == values["name_key"]) & (r.date_of_birth == values["date_of_birth"])
        )
    if not same:
        return []
    result = await unit.connection.execute(select(r.id).where(or_(*same), r.id != case_id))
    return list(result.scalars())


async def flag(unit: Unit, case_ids: list[int]) -> None:
    """Flag these cases as possible duplicates, those not flagged yet."""
    known = await unit.connection.execute(
        select(flags.c.pre_registration_id).where(
            flags.c.pre_registration_id.in_(case_ids), flags.c.flag == DUPLICATE
        )
    )
    already = set(known.scalars())
    for twin in case_ids:
        if twin not in already:
            unit.touch(twin)
            await unit.connection.execute(
                insert(flags).values(pre_registration_id=twin, flag=DUPLICATE)
            )


async def of_person(unit: Unit, person_id: int) -> set[int]:
    """The possible duplicates of a person's cases."""
    found: set[int] = set()
    for row in await unit.connection.execute(
        select(pre_registrations).where(pre_registrations.c.person_id == person_id)
    ):
        found.update(await duplicates(unit, row.id, row._asdict()))
    return found


async def unflag_alone(unit: Unit, case_ids: set[int]) -> None:
    """Drop the duplicate flag of those cases that no longer have a twin."""
    for twin in case_ids:
        row = (
            await unit.connection.execute(
                select(pre_registrations).where(pre_registrations.c.id == twin)
            )
        ).first()
        if row is not None and not await duplicates(unit, twin, row._asdict()):
            unit.touch(twin)
            await unit.connection.execute(
                delete(flags).where(flags.c.pre_registration_id == twin, flags.c.flag == DUPLICATE)
            )


@dataclass(frozen=True)
class Twin:
    reference: str
    status: str
    full_name: str | None
    linked: bool


async def of_case(unit: Unit, case: CaseRecord) -> list[Twin]:
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


async def link(unit: Unit, case: CaseRecord, other: CaseRecord, actor: str, now: datetime) -> None:
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
    await audit.record(
        unit, "case.linked", now, actor=actor, pre_registration_id=case.id, other_case=other.id
    )
