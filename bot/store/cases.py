"""The case record: one case, its flags, its status, and its person's address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from bot.store import notes
from bot.store.repository import RegistrationRecord, Unit
from bot.store.tables import answer_versions, flags, people, pre_registrations

Case = RegistrationRecord  # what the dashboard calls a sent request


async def by_reference(unit: Unit, reference: str) -> Case | None:
    return await _one(unit, pre_registrations.c.reference == reference)


async def by_id(unit: Unit, case_id: int) -> Case | None:
    return await _one(unit, pre_registrations.c.id == case_id)


async def _one(unit: Unit, where: Any) -> Case | None:
    row = (await unit.connection.execute(select(pre_registrations).where(where))).first()
    if row is None:
        return None
    m = row._mapping
    names = await flags_of(unit, [m["id"]])
    return Case(
        m["id"], m["reference"], m["status"], m["language"], m["answers"], m["answered_at"],
        m["created_at"], tuple(names.get(m["id"], ())), m["return_date"],
    )  # fmt: skip


async def flags_of(unit: Unit, ids: list[int]) -> dict[int, list[str]]:
    """The flags of these cases, by case id, each list in order."""
    if not ids:
        return {}
    result = await unit.connection.execute(
        select(flags.c.pre_registration_id, flags.c.flag)
        .where(flags.c.pre_registration_id.in_(ids))
        .order_by(flags.c.flag)
    )
    names: dict[int, list[str]] = {}
    for row in result.mappings():
        names.setdefault(row["pre_registration_id"], []).append(row["flag"])
    return names


class StatusChanged(Exception):
    """The case's status changed since the page was loaded: nothing was done."""


async def change_status(
    unit: Unit,
    case: Case,
    target: str,
    actor: str,
    note: str,
    return_date: date | None,
    now: datetime,
) -> None:
    """Move a case from the status it was read with; audited, with its note."""
    values: dict[str, Any] = {"status": target, "updated_at": now, "status_changed_at": now}
    if target == "returned":
        values["return_date"] = return_date
    result = await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case.id, pre_registrations.c.status == case.status)
        .values(values)
    )
    if result.rowcount != 1:
        raise StatusChanged(case.reference)
    if note.strip():
        await notes.add(unit, case.id, actor, note, now)
    await unit.audit(
        "case.status_changed",
        now,
        actor=actor,
        pre_registration_id=case.id,
        from_status=case.status,
        to_status=target,
    )


async def recipient(unit: Unit, case_id: int) -> tuple[int, str] | None:
    """The person's Telegram id and language, for a message through the bot."""
    result = await unit.connection.execute(
        select(people.c.telegram_id, people.c.language)
        .join(pre_registrations, pre_registrations.c.person_id == people.c.id)
        .where(pre_registrations.c.id == case_id)
    )
    row = result.mappings().first()
    return (int(row["telegram_id"]), str(row["language"])) if row is not None else None


@dataclass(frozen=True)
class AnswerVersionRecord:
    answers: dict[str, Any]
    replaced_at: datetime


async def versions(unit: Unit, case_id: int) -> list[AnswerVersionRecord]:
    """The answers a case had before each correction, oldest first."""
    v = answer_versions.c
    result = await unit.connection.execute(
        select(v.answers, v.replaced_at)
        .where(v.pre_registration_id == case_id)
        .order_by(v.replaced_at, v.id)
    )
    return [AnswerVersionRecord(**row) for row in result.mappings()]
