"""Appointments at the office: booking, the person's answers, outcomes, reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update

from bot.store.tables import appointments, flags, people, pre_registrations
from bot.store.unit import Unit

BOOKED, CONFIRMED = "booked", "confirmed"  # invited; the person said they will come
CANNOT, MORE = "cannot_come", "more_asked"  # choosing another time; waiting for staff
CAME, NO_SHOW, RESCHEDULED = "came", "no_show", "rescheduled"
CANCELLED = "cancelled"  # the case was closed before the appointment
STATUSES = (BOOKED, CONFIRMED, CANNOT, MORE, CAME, NO_SHOW, RESCHEDULED, CANCELLED)
OPEN = (BOOKED, CONFIRMED, CANNOT, MORE)  # no outcome yet
HOLDS_SLOT = (BOOKED, CONFIRMED, CAME, NO_SHOW)  # counts against the slot's limit
AWAITED = (BOOKED, CONFIRMED)  # the person is expected: reminded the day before


@dataclass(frozen=True)
class AppointmentRecord:
    id: int
    pre_registration_id: int
    kind: str
    starts_at: datetime
    status: str
    revision: int
    proposals: list[str]
    remind_at: datetime | None
    reminded_at: datetime | None
    booked_by: str


@dataclass(frozen=True)
class Invitee:
    """Who an appointment is for, as the bot reaches them."""

    telegram_id: int
    language: str
    reference: str


COLUMNS = [appointments.c[f] for f in AppointmentRecord.__dataclass_fields__]
_INVITEE = (people.c.telegram_id, people.c.language, pre_registrations.c.reference)


def _record(row: Any) -> AppointmentRecord:
    return AppointmentRecord(*row[: len(COLUMNS)])


def _with_invitee() -> Any:
    return (
        select(*COLUMNS, *_INVITEE)
        .join(pre_registrations, pre_registrations.c.id == appointments.c.pre_registration_id)
        .join(people, people.c.id == pre_registrations.c.person_id)
    )


async def add(
    unit: Unit,
    case_id: int,
    kind: str,
    starts_at: datetime,
    status: str,
    remind_at: datetime | None,
    booked_by: str,
    now: datetime,
) -> AppointmentRecord:
    """A new appointment, at revision 1."""
    result = await unit.connection.execute(
        insert(appointments)
        .values(
            pre_registration_id=case_id,
            kind=kind,
            starts_at=starts_at,
            status=status,
            revision=1,
            proposals=[],
            remind_at=remind_at,
            booked_by=booked_by,
            created_at=now,
            updated_at=now,
        )
        .returning(*COLUMNS)
    )
    return _record(result.one())


async def lock_slot(unit: Unit, starts_at: datetime) -> None:
    """Bookings of one slot one after the other, so its limit holds (PostgreSQL; SQLite's
    write lock already serialises them)."""
    if unit.dialect == "postgresql":
        key = int(starts_at.timestamp()) // 60
        await unit.connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def with_invitee(unit: Unit, appointment_id: int) -> tuple[AppointmentRecord, Invitee] | None:
    """An appointment and whom it is for."""
    result = await unit.connection.execute(
        _with_invitee().where(appointments.c.id == appointment_id)
    )
    row = result.first()
    if row is None:
        return None
    return _record(row), Invitee(*row[len(COLUMNS) :])


async def of_case(unit: Unit, case_id: int) -> list[AppointmentRecord]:
    """A case's appointments, latest first."""
    result = await unit.connection.execute(
        select(*COLUMNS)
        .where(appointments.c.pre_registration_id == case_id)
        .order_by(appointments.c.starts_at.desc(), appointments.c.id.desc())
    )
    return [_record(row) for row in result]


async def taken(unit: Unit, start: datetime, end: datetime) -> dict[datetime, int]:
    """How many appointments hold each slot starting in [start, end)."""
    result = await unit.connection.execute(
        select(appointments.c.starts_at, func.count().label("n"))
        .where(
            appointments.c.starts_at >= start,
            appointments.c.starts_at < end,
            appointments.c.status.in_(HOLDS_SLOT),
        )
        .group_by(appointments.c.starts_at)
    )
    return {row.starts_at: int(row.n) for row in result}


async def between(
    unit: Unit, start: datetime, end: datetime
) -> list[tuple[AppointmentRecord, str]]:
    """The appointments in [start, end) with their case's reference, soonest first."""
    result = await unit.connection.execute(
        select(*COLUMNS, pre_registrations.c.reference)
        .join(pre_registrations, pre_registrations.c.id == appointments.c.pre_registration_id)
        .where(appointments.c.starts_at >= start, appointments.c.starts_at < end)
        .order_by(appointments.c.starts_at, appointments.c.id)
    )
    return [(_record(row), str(row[len(COLUMNS)])) for row in result]


async def move(
    unit: Unit, appointment_id: int, revision: int, now: datetime, **values: Any
) -> bool:
    """Change an appointment as read at `revision`; False if it moved since (a second tap,
    another caseworker), and nothing is changed."""
    result = await unit.connection.execute(
        update(appointments)
        .where(appointments.c.id == appointment_id, appointments.c.revision == revision)
        .values(**values, revision=revision + 1, updated_at=now)
    )
    return result.rowcount == 1


async def close_open(unit: Unit, case_id: int, now: datetime) -> list[int]:
    """A new booking replaces the case's open appointments: they are rescheduled, and the
    buttons of their messages go stale. Their ids."""
    result = await unit.connection.execute(
        update(appointments)
        .where(appointments.c.pre_registration_id == case_id, appointments.c.status.in_(OPEN))
        .values(status=RESCHEDULED, revision=appointments.c.revision + 1, updated_at=now)
        .returning(appointments.c.id)
    )
    return sorted(result.scalars())


async def cancel_open(unit: Unit, case_id: int, now: datetime) -> list[int]:
    """A closed case's open appointments: cancelled, their slots freed, their buttons and
    reminders gone stale. Their ids."""
    result = await unit.connection.execute(
        update(appointments)
        .where(appointments.c.pre_registration_id == case_id, appointments.c.status.in_(OPEN))
        .values(status=CANCELLED, revision=appointments.c.revision + 1, updated_at=now)
        .returning(appointments.c.id)
    )
    return sorted(result.scalars())


async def due_reminders(
    unit: Unit, now: datetime, limit: int
) -> list[tuple[AppointmentRecord, Invitee]]:
    """Appointments whose reminder is due and not dealt with, soonest first."""
    result = await unit.connection.execute(
        _with_invitee()
        .where(
            appointments.c.remind_at <= now,
            appointments.c.reminded_at.is_(None),
            appointments.c.status.in_(AWAITED),
        )
        .order_by(appointments.c.remind_at, appointments.c.id)
        .limit(limit)
    )
    return [(_record(row), Invitee(*row[len(COLUMNS) :])) for row in result]


async def mark_reminded(unit: Unit, appointment_id: int, now: datetime) -> bool:
    """Take the reminder: False if another sweep took it first (it goes once)."""
    result = await unit.connection.execute(
        update(appointments)
        .where(
            appointments.c.id == appointment_id,
            appointments.c.reminded_at.is_(None),
            appointments.c.status.in_(AWAITED),  # not moved or cancelled since it was read
        )
        .values(reminded_at=now, updated_at=now)
    )
    return result.rowcount == 1


async def postpone_reminder(unit: Unit, appointment_id: int, at: datetime, now: datetime) -> None:
    await unit.connection.execute(
        update(appointments)
        .where(appointments.c.id == appointment_id)
        .values(remind_at=at, updated_at=now)
    )


async def count(unit: Unit, case_id: int, status: str) -> int:
    """How many of a case's appointments are at `status`."""
    result = await unit.connection.execute(
        select(func.count()).where(
            appointments.c.pre_registration_id == case_id, appointments.c.status == status
        )
    )
    return int(result.scalar_one())


async def remove_flag(unit: Unit, case_id: int, name: str) -> None:
    """The case loses a flag an appointment raised (a new booking answers it)."""
    unit.touch(case_id)
    await unit.connection.execute(
        delete(flags).where(flags.c.pre_registration_id == case_id, flags.c.flag == name)
    )
