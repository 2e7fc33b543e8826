"""The people of a case beyond the applicant: family members travelling with them.

Made from the intake's repeat group `family_members` when a request is sent, then kept by
caseworkers. Counts of people (applicant and members) are counted here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from bot.status import Status
from bot.store.tables import case_members, pre_registrations
from bot.store.unit import Unit

GROUP = "family_members"  # the intake's repeat group of the people travelling together
NAME_LIMIT = 100


@dataclass(frozen=True)
class Member:
    id: int
    position: int
    name: str
    relationship: str | None
    date_of_birth: str | None
    travel_document: str | None
    fitness: str | None
    vulnerabilities: tuple[str, ...]


@dataclass(frozen=True)
class Changes:
    """What a caseworker sets on a member; every field is written."""

    name: str
    relationship: str | None
    date_of_birth: str | None
    travel_document: str | None
    fitness: str | None
    vulnerabilities: tuple[str, ...]


def _answered(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The members as the answers give them, each with its position."""
    items = answers.get(GROUP)
    if not isinstance(items, list):
        return []
    return [
        {
            "position": position,
            "name": str(item.get("name") or "")[:NAME_LIMIT],
            "relationship": _text(item.get("relationship")),
            "date_of_birth": _text(item.get("date_of_birth")),
        }
        for position, item in enumerate(items)
        if isinstance(item, dict)
    ]


async def from_answers(unit: Unit, case_id: int, answers: Mapping[str, Any], now: datetime) -> int:
    """Add a case's members from its answers; how many were added."""
    rows = [
        {**row, "pre_registration_id": case_id, "vulnerabilities": [], "updated_at": now}
        for row in _answered(answers)
    ]
    unit.touch(case_id)
    if rows:
        await unit.connection.execute(insert(case_members), rows)
    return len(rows)


async def refresh(unit: Unit, case_id: int, answers: Mapping[str, Any], now: datetime) -> None:
    """After the person corrected their answers: each member's name, relationship and birth
    date as now answered, members added or removed. What caseworkers set stays with the
    same person: a place now held by someone else (another name) starts afresh."""
    m = case_members.c
    answered = _answered(answers)
    unit.touch(case_id)
    result = await unit.connection.execute(
        select(m.position, m.name, m.relationship, m.date_of_birth).where(
            m.pre_registration_id == case_id
        )
    )
    before = {row.position: (row.name, row.relationship, row.date_of_birth) for row in result}
    for row in answered:
        here = (m.pre_registration_id == case_id) & (m.position == row["position"])
        was = before.get(row["position"])
        if was is not None and not _same_person(was, row):
            await unit.connection.execute(
                update(case_members)
                .where(here)
                .values(travel_document=None, fitness=None, vulnerabilities=[], updated_by=None)
            )
        changed = await unit.connection.execute(
            update(case_members).where(here).values(**row, updated_at=now)
        )
        if not changed.rowcount:
            await unit.connection.execute(
                insert(case_members).values(
                    **row, pre_registration_id=case_id, vulnerabilities=[], updated_at=now
                )
            )
    await unit.connection.execute(
        delete(case_members).where(m.pre_registration_id == case_id, m.position >= len(answered))
    )


def _same_person(was: tuple[str, str | None, str | None], row: Mapping[str, Any]) -> bool:
    """Whether a corrected member is still who was there: the same name, or the same
    relationship and year of birth (a name's spelling corrected)."""
    name, relationship, born = was
    if name.casefold() == str(row["name"]).casefold():
        return True
    year = (born or "")[:4]
    return (
        relationship == row["relationship"]
        and bool(year)
        and year == (row["date_of_birth"] or "")[:4]
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


async def of_case(unit: Unit, case_id: int) -> list[Member]:
    """A case's members, in the order of the answers."""
    m = case_members.c
    result = await unit.connection.execute(
        select(m.id, m.position, m.name, m.relationship, m.date_of_birth, m.travel_document,
               m.fitness, m.vulnerabilities)
        .where(m.pre_registration_id == case_id)
        .order_by(m.position, m.id)
    )  # fmt: skip
    return [
        Member(**{**row, "vulnerabilities": tuple(row["vulnerabilities"] or ())})
        for row in result.mappings()
    ]


async def change(
    unit: Unit, case_id: int, member_id: int, changes: Changes, actor: str, now: datetime
) -> bool:
    """Write a member of this case; False if the case has no such member."""
    m = case_members.c
    result = await unit.connection.execute(
        update(case_members)
        .where(m.id == member_id, m.pre_registration_id == case_id)
        .values(
            name=changes.name[:NAME_LIMIT],
            relationship=changes.relationship,
            date_of_birth=changes.date_of_birth,
            travel_document=changes.travel_document,
            fitness=changes.fitness,
            vulnerabilities=list(changes.vulnerabilities),
            updated_by=actor,
            updated_at=now,
        )
    )
    if result.rowcount:
        unit.touch(case_id)
    return bool(result.rowcount)


async def people(unit: Unit, case_ids: Collection[int]) -> int:
    """How many people these cases are: each applicant and their family members. A case
    closed as a duplicate of another counts for nobody (its people are the other's)."""
    if not case_ids:
        return 0
    r, m = pre_registrations.c, case_members.c
    counted = select(r.id).where(r.id.in_(list(case_ids)), r.status != Status.DUPLICATE.value)
    applicants = (
        await unit.connection.execute(select(func.count()).select_from(counted.subquery()))
    ).scalar_one()
    family = (
        await unit.connection.execute(
            select(func.count()).where(m.pre_registration_id.in_(counted))
        )
    ).scalar_one()
    return int(applicants) + int(family)
