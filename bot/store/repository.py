"""Data access: one `Unit` is one transaction, with the queries the bot needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.store.models import (
    AuditEvent,
    Flag,
    IntakeSession,
    Person,
    PreRegistration,
    ReferenceCounter,
)

SUBMITTED = "submitted"
DUPLICATE_FLAG = "possible_duplicate"


@dataclass(frozen=True)
class Submission:
    """What a completed intake brings to its pre-registration."""

    answers: dict[str, Any]
    answered_at: dict[str, Any]
    flags: tuple[str, ...]
    flow_version: str
    name_key: str | None


class Store:
    """The database, handed out one transaction at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        async with self._sessions() as session, session.begin():
            yield Unit(session)

    async def close(self) -> None:
        await self.engine.dispose()


class Unit:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def person(self, telegram_id: int) -> Person | None:
        result = await self.session.execute(select(Person).where(Person.telegram_id == telegram_id))
        return result.scalar_one_or_none()

    async def add_person(self, telegram_id: int, language: str, now: datetime) -> Person:
        person = Person(telegram_id=telegram_id, language=language, created_at=now, updated_at=now)
        self.session.add(person)
        await self.session.flush()
        return person

    async def open_session(self, person_id: int) -> IntakeSession | None:
        result = await self.session.execute(
            select(IntakeSession)
            .where(IntakeSession.person_id == person_id, IntakeSession.status == "active")
            .order_by(IntakeSession.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    def add_session(
        self, person: Person, flow: str, state: dict[str, Any], now: datetime
    ) -> IntakeSession:
        row = IntakeSession(
            person_id=person.id,
            flow=flow,
            status=state["status"],
            step=state["key"],
            revision=state["revision"],
            state=state,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        return row

    @staticmethod
    def save_state(row: IntakeSession, state: dict[str, Any], now: datetime) -> None:
        row.state = state
        row.status = state["status"]
        row.step = state["key"]
        row.revision = state["revision"]
        row.updated_at = now

    async def delete_session(self, row: IntakeSession) -> None:
        await self.session.delete(row)

    async def registrations(self, person_id: int) -> list[PreRegistration]:
        result = await self.session.execute(
            select(PreRegistration)
            .where(PreRegistration.person_id == person_id)
            .order_by(PreRegistration.id)
        )
        return list(result.scalars())

    async def submit(
        self, person: Person, submission: Submission, prefix: str, now: datetime
    ) -> PreRegistration:
        """Create the pre-registration, with a new reference and duplicate detection."""
        answers = submission.answers
        registration = PreRegistration(
            reference=await self._next_reference(prefix, now.year),
            person_id=person.id,
            status=SUBMITTED,
            language=person.language,
            flow_version=submission.flow_version,
            answers=answers,
            answered_at=submission.answered_at,
            full_name=answers.get("full_name"),
            name_key=submission.name_key,
            date_of_birth=answers.get("date_of_birth"),
            phone=answers.get("phone"),
            nationality=answers.get("nationality"),
            current_city=answers.get("current_city"),
            created_at=now,
            updated_at=now,
        )
        self.session.add(registration)
        await self.session.flush()
        flags = set(submission.flags)
        twins = await self._duplicates(registration)
        if twins:
            flags.add(DUPLICATE_FLAG)
            for twin in twins:
                await self._add_flag(twin, DUPLICATE_FLAG)
        for flag in sorted(flags):
            self.session.add(Flag(pre_registration_id=registration.id, flag=flag))
        await self.session.flush()
        await self.session.refresh(registration, ["flags"])
        return registration

    async def _duplicates(self, registration: PreRegistration) -> list[int]:
        same: list[Any] = []
        if registration.phone:
            same.append(PreRegistration.phone == registration.phone)
        if registration.name_key and registration.date_of_birth:
            same.append(
                (PreRegistration.name_key == registration.name_key)
                & (PreRegistration.date_of_birth == registration.date_of_birth)
            )
        if not same:
            return []
        result = await self.session.execute(
            select(PreRegistration.id).where(or_(*same), PreRegistration.id != registration.id)
        )
        return list(result.scalars())

    async def _add_flag(self, registration_id: int, flag: str) -> None:
        exists = await self.session.get(Flag, (registration_id, flag))
        if exists is None:
            self.session.add(Flag(pre_registration_id=registration_id, flag=flag))

    async def _next_reference(self, prefix: str, year: int) -> str:
        counter = (ReferenceCounter.prefix == prefix) & (ReferenceCounter.year == year)
        bump = (
            update(ReferenceCounter)
            .where(counter)
            .values(last=ReferenceCounter.last + 1)
            .returning(ReferenceCounter.last)
        )
        number = (await self.session.execute(bump)).scalar_one_or_none()
        if number is None:
            try:
                async with self.session.begin_nested():
                    await self.session.execute(
                        insert(ReferenceCounter).values(prefix=prefix, year=year, last=1)
                    )
                number = 1
            except IntegrityError:  # another process created this year's counter first
                number = (await self.session.execute(bump)).scalar_one()
        return f"{prefix}-{year}-{number:05d}"

    async def erase_person(self, person: Person) -> None:
        """Delete a person and, by cascade, their sessions, pre-registrations and flags."""
        await self.session.execute(delete(Person).where(Person.id == person.id))
        self.session.expunge(person)

    def audit(
        self,
        action: str,
        now: datetime,
        *,
        actor: str = "bot",
        person_id: int | None = None,
        pre_registration_id: int | None = None,
        **details: Any,
    ) -> None:
        """Record an action. Never pass personal data in `details`."""
        self.session.add(
            AuditEvent(
                at=now,
                actor=actor,
                action=action,
                person_id=person_id,
                pre_registration_id=pre_registration_id,
                details=details,
            )
        )
