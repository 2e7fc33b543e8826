"""Queries for the dashboard: the queue of pre-registrations, one case, its audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, insert, or_, select, update

from bot.store.models import Base, CaseNote
from bot.store.models import CaseMessage as CaseMessageModel
from bot.store.repository import (
    RegistrationRecord,
    Unit,
    audit_events,
    flags,
    people,
    registrations,
)

case_notes = Base.metadata.tables[CaseNote.__tablename__]
versions = Base.metadata.tables["answer_versions"]
links = Base.metadata.tables["case_links"]
case_messages = Base.metadata.tables[CaseMessageModel.__tablename__]

# Shown first when asked, and marked in the queue: people at risk, follow-up alerts first.
PRIORITY_FLAGS = ("unsafe", "urgent_health", "minor", "unaccompanied_minor", "vulnerable")
Case = RegistrationRecord  # what the dashboard calls a sent request


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""
    flag: str = ""
    nationality: str = ""
    city: str = ""
    since: date | None = None
    until: date | None = None
    search: str = ""  # a reference or a phone number, as typed
    search_key: str = ""  # the same folded like stored names (lower case, no accents)
    priority_first: bool = False
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class CaseRow:
    id: int
    reference: str
    status: str
    full_name: str | None
    phone: str | None
    nationality: str | None
    current_city: str | None
    created_at: datetime
    flags: tuple[str, ...]

    @property
    def priority(self) -> bool:
        return any(f in PRIORITY_FLAGS for f in self.flags)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


def _where(query: Select[Any], f: CaseFilter, *, with_status: bool = True) -> Select[Any]:
    r = registrations.c
    conditions: list[Any] = []
    if with_status and f.status:
        conditions.append(r.status == f.status)
    if f.flag:
        conditions.append(
            exists().where(flags.c.pre_registration_id == r.id, flags.c.flag == f.flag)
        )
    if f.nationality:
        conditions.append(r.nationality == f.nationality)
    if f.city:
        conditions.append(r.current_city == f.city)
    if f.since:
        conditions.append(r.created_at >= datetime.combine(f.since, time.min))
    if f.until:
        conditions.append(r.created_at < datetime.combine(f.until + timedelta(days=1), time.min))
    if f.search:
        term = f.search.strip()
        digits = "".join(c for c in term if c.isdigit())
        matches = [r.reference == term.upper()]
        if f.search_key:
            matches.append(r.name_key.contains(f.search_key, autoescape=True))
        if len(digits) >= 4:
            matches.append(r.phone.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    return query.where(and_(*conditions)) if conditions else query


async def queue(unit: Unit, f: CaseFilter) -> CasePage:
    """One page of the queue, newest first (cases with priority flags first if asked)."""
    r = registrations.c
    total = (
        await unit.connection.execute(_where(select(func.count()).select_from(registrations), f))
    ).scalar_one()
    order: list[Any] = []
    if f.priority_first:
        urgent = exists().where(
            flags.c.pre_registration_id == r.id, flags.c.flag.in_(PRIORITY_FLAGS)
        )
        order.append(case((urgent, 0), else_=1))
    order += [r.created_at.desc(), r.id.desc()]
    columns = (r.id, r.reference, r.status, r.full_name, r.phone, r.nationality, r.current_city,
               r.created_at)  # fmt: skip
    pages = max(1, -(-total // f.per_page))
    page = min(max(1, f.page), pages)
    query = _where(select(*columns), f).order_by(*order)
    query = query.limit(f.per_page).offset((page - 1) * f.per_page)
    rows = list((await unit.connection.execute(query)).mappings())
    names = await _flags(unit, [row["id"] for row in rows])
    cases = [CaseRow(**row, flags=tuple(names.get(row["id"], ()))) for row in rows]
    counts_query = _where(
        select(r.status, func.count().label("n")).group_by(r.status), f, with_status=False
    )
    counts = {
        str(row["status"]): int(row["n"])
        for row in (await unit.connection.execute(counts_query)).mappings()
    }
    return CasePage(cases, total, page, pages, counts)


async def _flags(unit: Unit, ids: list[int]) -> dict[int, list[str]]:
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


async def by_reference(unit: Unit, reference: str) -> Case | None:
    return await _one(unit, registrations.c.reference == reference)


async def by_id(unit: Unit, case_id: int) -> Case | None:
    return await _one(unit, registrations.c.id == case_id)


async def _one(unit: Unit, where: Any) -> Case | None:
    row = (await unit.connection.execute(select(registrations).where(where))).first()
    if row is None:
        return None
    m = row._mapping
    names = await _flags(unit, [m["id"]])
    return Case(
        m["id"], m["reference"], m["status"], m["language"], m["answers"], m["answered_at"],
        m["created_at"], tuple(names.get(m["id"], ())), m["return_date"],
    )  # fmt: skip


async def audit_trail(unit: Unit, registration_id: int) -> list[AuditEntry]:
    result = await unit.connection.execute(
        select(
            audit_events.c.at, audit_events.c.actor, audit_events.c.action, audit_events.c.details
        )
        .where(audit_events.c.pre_registration_id == registration_id)
        .order_by(audit_events.c.at, audit_events.c.id)
    )
    return [AuditEntry(**row) for row in result.mappings()]


async def nationalities(unit: Unit) -> list[str]:
    result = await unit.connection.execute(
        select(registrations.c.nationality)
        .where(registrations.c.nationality.is_not(None))
        .distinct()
    )
    return sorted(code for code in result.scalars() if code)


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class CaseMessage:
    direction: str
    author: str | None
    body: str
    delivered: bool
    created_at: datetime


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
        update(registrations)
        .where(registrations.c.id == case.id, registrations.c.status == case.status)
        .values(values)
    )
    if result.rowcount != 1:
        raise StatusChanged(case.reference)
    if note.strip():
        await add_note(unit, case.id, actor, note, now)
    await unit.audit(
        "case.status_changed",
        now,
        actor=actor,
        pre_registration_id=case.id,
        from_status=case.status,
        to_status=target,
    )


async def add_note(unit: Unit, case_id: int, author: str, body: str, now: datetime) -> None:
    await unit.connection.execute(
        insert(case_notes).values(
            pre_registration_id=case_id, author=author, body=body.strip(), created_at=now
        )
    )


async def notes(unit: Unit, case_id: int) -> list[Note]:
    result = await unit.connection.execute(
        select(case_notes.c.author, case_notes.c.body, case_notes.c.created_at)
        .where(case_notes.c.pre_registration_id == case_id)
        .order_by(case_notes.c.created_at, case_notes.c.id)
    )
    return [Note(**row) for row in result.mappings()]


async def add_message(
    unit: Unit,
    case_id: int,
    direction: str,
    author: str | None,
    body: str,
    delivered: bool,
    now: datetime,
) -> None:
    await unit.connection.execute(
        insert(case_messages).values(
            pre_registration_id=case_id,
            direction=direction,
            author=author,
            body=body,
            delivered=delivered,
            created_at=now,
        )
    )


async def messages(unit: Unit, case_id: int) -> list[CaseMessage]:
    c = case_messages.c
    result = await unit.connection.execute(
        select(c.direction, c.author, c.body, c.delivered, c.created_at)
        .where(c.pre_registration_id == case_id)
        .order_by(c.created_at, c.id)
    )
    return [CaseMessage(**row) for row in result.mappings()]


async def recipient(unit: Unit, case_id: int) -> tuple[int, str] | None:
    """The person's Telegram id and language, for a message through the bot."""
    result = await unit.connection.execute(
        select(people.c.telegram_id, people.c.language)
        .join(registrations, registrations.c.person_id == people.c.id)
        .where(registrations.c.id == case_id)
    )
    row = result.mappings().first()
    return (int(row["telegram_id"]), str(row["language"])) if row is not None else None


async def export_chunk(
    unit: Unit, f: CaseFilter, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` cases of the filter, newest first, with ids below `before_id`."""
    r = registrations.c
    query = _where(select(r.id, r.reference, r.status, r.created_at, r.answers), f)
    if before_id is not None:
        query = query.where(r.id < before_id)
    rows = [dict(row) for row in (await unit.connection.execute(
        query.order_by(r.id.desc()).limit(limit)
    )).mappings()]  # fmt: skip
    names = await _flags(unit, [row["id"] for row in rows])
    for row in rows:
        row["flags"] = names.get(row["id"], [])
    return rows


async def audit_log(unit: Unit, page: int, per_page: int = 100) -> list[AuditEntry]:
    """The whole audit log, newest first."""
    e = audit_events.c
    result = await unit.connection.execute(
        select(e.at, e.actor, e.action, e.details)
        .order_by(e.at.desc(), e.id.desc())
        .limit(per_page)
        .offset((min(max(page, 1), 10_000) - 1) * per_page)
    )
    return [AuditEntry(**row) for row in result.mappings()]


@dataclass(frozen=True)
class AnswerVersionRecord:
    answers: dict[str, Any]
    replaced_at: datetime


async def answer_versions(unit: Unit, case_id: int) -> list[AnswerVersionRecord]:
    v = versions.c
    result = await unit.connection.execute(
        select(v.answers, v.replaced_at)
        .where(v.pre_registration_id == case_id)
        .order_by(v.replaced_at, v.id)
    )
    return [AnswerVersionRecord(**row) for row in result.mappings()]


@dataclass(frozen=True)
class Twin:
    reference: str
    status: str
    full_name: str | None
    linked: bool


async def twins(unit: Unit, case: Case) -> list[Twin]:
    """Other cases with the same phone, or the same name and birth date, and linked ones."""
    r = registrations.c
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
                select(links.c.other_id).where(links.c.case_id == case.id)
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
                select(links.c.case_id).where(links.c.case_id == a.id, links.c.other_id == b.id)
            )
        ).first()
        if exists_already is None:
            await unit.connection.execute(
                insert(links).values(case_id=a.id, other_id=b.id, linked_by=actor, linked_at=now)
            )
    await unit.audit(
        "case.linked", now, actor=actor, pre_registration_id=case.id, other_case=other.id
    )
