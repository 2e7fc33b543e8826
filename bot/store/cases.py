"""The case record: one case, its flags, its status, and its person's address.

A case is what caseworkers handle: the pre-registration a person sent at the end of the
intake (table `pre_registrations`, column `pre_registration_id` elsewhere), then its
status, flags, notes and messages. Code calls it a case; the schema keeps its first name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from bot.flags import DUPLICATE, NO_FOLLOWUP
from bot.status import UNCOUNTED, Status
from bot.store import acknowledgements, audit, members, notes, references, twins
from bot.store.people import PersonRecord
from bot.store.tables import answer_versions, flags, people, pre_registrations
from bot.store.unit import Unit

NAME_KEY_LENGTH = 100


@dataclass(frozen=True)
class CaseRecord:
    """A case as the bot and the dashboard read it."""

    id: int
    reference: str
    status: str
    language: str
    answers: dict[str, Any]
    answered_at: dict[str, Any]
    created_at: datetime
    flags: tuple[str, ...] = ()
    return_date: date | None = None


@dataclass(frozen=True)
class Submission:
    """What a completed intake brings to its case."""

    answers: dict[str, Any]
    answered_at: dict[str, Any]
    flags: tuple[str, ...]
    flow_version: str
    name_key: str | None


async def by_reference(unit: Unit, reference: str) -> CaseRecord | None:
    return await _one(unit, pre_registrations.c.reference == reference)


async def by_id(unit: Unit, case_id: int) -> CaseRecord | None:
    return await _one(unit, pre_registrations.c.id == case_id)


async def _one(unit: Unit, where: Any) -> CaseRecord | None:
    row = (await unit.connection.execute(select(pre_registrations).where(where))).first()
    if row is None:
        return None
    m = row._mapping
    names = await flags_of(unit, [m["id"]])
    return CaseRecord(
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


def _columns(submission: Submission) -> dict[str, Any]:
    """The answers a case also keeps as columns: the queue filters and twins search them."""
    answers = submission.answers
    return {
        "full_name": answers.get("full_name"),
        "name_key": submission.name_key,
        "date_of_birth": answers.get("date_of_birth"),
        "phone": answers.get("phone"),
        "nationality": answers.get("nationality"),
        "current_city": answers.get("current_city"),
    }


def current(person_cases: list[CaseRecord]) -> CaseRecord:
    """Of a person's cases (oldest first, at least one), the one their words belong to: the
    newest that counts, not one closed as a duplicate of another."""
    counted = [case for case in person_cases if case.status not in UNCOUNTED]
    return (counted or person_cases)[-1]


async def of_person(unit: Unit, person_id: int) -> list[CaseRecord]:
    """A person's cases, oldest first."""
    result = await unit.connection.execute(
        select(pre_registrations)
        .where(pre_registrations.c.person_id == person_id)
        .order_by(pre_registrations.c.id)
    )
    records = []
    for row in result.mappings():
        names = await unit.connection.execute(
            select(flags.c.flag).where(flags.c.pre_registration_id == row["id"])
        )
        records.append(
            CaseRecord(
                row["id"],
                row["reference"],
                row["status"],
                row["language"],
                row["answers"],
                row["answered_at"],
                row["created_at"],
                tuple(sorted(names.scalars())),
                row["return_date"],
            )
        )
    return records


async def submit(
    unit: Unit,
    person: PersonRecord,
    submission: Submission,
    prefix: str,
    now: datetime,
    source_id: int | None = None,
) -> CaseRecord:
    """Create the case of a completed intake, with a new reference and duplicate detection.
    `source_id` is the outreach link the person came by, if any."""
    answers = submission.answers
    reference = await references.next_reference(unit, prefix, now.year)
    values = {
        "reference": reference,
        "person_id": person.id,
        "status": Status.SUBMITTED,
        "language": person.language,
        "flow_version": submission.flow_version,
        "answers": answers,
        "answered_at": submission.answered_at,
        **_columns(submission),
        "source_id": source_id,
        "created_at": now,
        "updated_at": now,
    }
    result = await unit.connection.execute(
        insert(pre_registrations).values(**values).returning(pre_registrations.c.id)
    )
    case_id = result.scalar_one()
    unit.touch(case_id)
    names = set(submission.flags)
    same_person = await twins.duplicates(unit, case_id, values)
    if same_person:
        names.add(DUPLICATE)
        await twins.flag(unit, same_person)
    for name in sorted(names):
        await _flag(unit, case_id, name)
    await members.from_answers(unit, case_id, answers, now)
    return CaseRecord(
        case_id,
        reference,
        Status.SUBMITTED,
        person.language,
        answers,
        submission.answered_at,
        now,
        tuple(sorted(names)),
    )


async def correct(
    unit: Unit, case_id: int, submission: Submission, flow_flags: set[str], now: datetime
) -> CaseRecord:
    """New answers for a case; the old ones are kept as a version."""
    row = (
        (
            await unit.connection.execute(
                select(pre_registrations).where(pre_registrations.c.id == case_id)
            )
        )
        .mappings()
        .one()
    )
    await unit.connection.execute(
        insert(answer_versions).values(
            pre_registration_id=case_id,
            answers=row["answers"],
            answered_at=row["answered_at"],
            replaced_at=now,
        )
    )
    answers = submission.answers
    unit.touch(case_id)
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(
            answers=answers,
            answered_at={**row["answered_at"], **submission.answered_at},
            status=Status.IN_REVIEW,
            **_columns(submission),
            updated_at=now,
        )
    )
    # The flow's flags are computed again: those that no longer hold go; those that still
    # hold stay as they were (an acknowledged one stays acknowledged); new ones are added.
    computed = set(submission.flags)
    await unit.connection.execute(
        delete(flags).where(
            flags.c.pre_registration_id == case_id,
            flags.c.flag.in_(sorted(flow_flags - computed)),
        )
    )
    present = set(
        (
            await unit.connection.execute(
                select(flags.c.flag).where(flags.c.pre_registration_id == case_id)
            )
        ).scalars()
    )
    for name in submission.flags:
        if name not in present:
            await add_flag(unit, case_id, name)
    await members.refresh(unit, case_id, answers, now)
    (record,) = [r for r in await of_person(unit, row["person_id"]) if r.id == case_id]
    return record


async def add_flag(unit: Unit, case_id: int, name: str) -> bool:
    """Flag a case, once; whether the flag is new, or acknowledged and raised again (it then
    needs a caseworker again)."""
    known = await unit.connection.execute(
        select(flags.c.flag).where(flags.c.pre_registration_id == case_id, flags.c.flag == name)
    )
    if known.first() is None:
        await _flag(unit, case_id, name)
        return True
    return await acknowledgements.reopen(unit, case_id, name)


async def _flag(unit: Unit, case_id: int, name: str) -> None:
    unit.touch(case_id)
    await unit.connection.execute(insert(flags).values(pre_registration_id=case_id, flag=name))


async def withdraw_followup_consent(unit: Unit, case_id: int, now: datetime) -> None:
    """Record that the person wants no messages after return."""
    row = (
        await unit.connection.execute(
            select(pre_registrations.c.answers).where(pre_registrations.c.id == case_id)
        )
    ).first()
    if row is None:
        return
    answers = {**row.answers, "followup_consent": False}
    await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case_id)
        .values(answers=answers, updated_at=now)
    )
    await add_flag(unit, case_id, NO_FOLLOWUP)


class StatusChanged(Exception):
    """The case's status changed since the page was loaded: nothing was done."""


async def change_status(
    unit: Unit,
    case: CaseRecord,
    target: str,
    actor: str,
    note: str,
    return_date: date | None,
    now: datetime,
) -> None:
    """Move a case from the status it was read with; audited, with its note."""
    values: dict[str, Any] = {"status": target, "updated_at": now, "status_changed_at": now}
    if target == Status.RETURNED:
        values["return_date"] = return_date
    result = await unit.connection.execute(
        update(pre_registrations)
        .where(pre_registrations.c.id == case.id, pre_registrations.c.status == case.status)
        .values(values)
    )
    if result.rowcount != 1:
        raise StatusChanged(case.reference)
    unit.touch(case.id)
    if note.strip():
        await notes.add(unit, case.id, actor, note, now)
    await audit.record(
        unit,
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
