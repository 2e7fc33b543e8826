"""Data access: one `Unit` is one transaction, with the queries the bot needs.

The bot's hot path uses SQLAlchemy Core on a connection rather than the ORM session: an
update is one read and one write, and the ORM's bookkeeping would cost more than both.
Rows come back as small frozen records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import (
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import Executable

from bot.engine.session import ACTIVE
from bot.store import tables
from bot.store.database import async_engine, is_sqlite, run_migrations, sqlite_engine
from bot.store.models import (
    equals_constant,
)

SUBMITTED = "submitted"
NAME_KEY_LENGTH = 100
DUPLICATE_FLAG = "possible_duplicate"
NO_FOLLOWUP_FLAG = "no_followup_consent"

people = tables.people
sessions = tables.sessions
registrations = tables.pre_registrations
flags = tables.flags
counters = tables.counters
audit_events = tables.audit_events
answer_versions = tables.answer_versions


# The statements run on every update, built once: building one costs more than running it.
_PERSON_COLUMNS = ("id", "telegram_id", "language", "consent_version", "consented_at")
_SESSION_COLUMNS = (
    "id", "person_id", "flow", "status", "step", "state", "version", "pre_registration_id",
    "followup_id",
)  # fmt: skip
_PERSON_AND_SESSION = (
    select(
        *(people.c[name] for name in _PERSON_COLUMNS),
        *(sessions.c[name] for name in _SESSION_COLUMNS),
    )
    .select_from(
        people.outerjoin(
            sessions,
            (sessions.c.person_id == people.c.id) & equals_constant(sessions.c.status, ACTIVE),
        )
    )
    .where(people.c.telegram_id == bindparam("telegram_id"))
    .order_by(sessions.c.id.desc())
    .limit(1)
)
_SAVE_SESSION = (
    update(sessions)
    .where(sessions.c.id == bindparam("session_id"))
    .where(sessions.c.version == bindparam("read_version"))
    .values(
        {
            name: bindparam(name)
            for name in ("state", "status", "step", "revision", "version", "updated_at")
        }
    )
)

_ADD_SESSION = insert(sessions).values(
    pre_registration_id=bindparam("case_id"),
    followup_id=bindparam("followup"),
    person_id=bindparam("person"),
    flow=bindparam("flow_id"),
    status=bindparam("status_"),
    step=bindparam("step_"),
    revision=bindparam("revision_"),
    state=bindparam("state_", type_=sessions.c.state.type),
    version=1,
    created_at=bindparam("now", type_=sessions.c.created_at.type),
    updated_at=bindparam("now", type_=sessions.c.updated_at.type),
)
_AUDIT = insert(audit_events).values(
    {
        name: bindparam(name)
        for name in ("at", "actor", "action", "person_id", "pre_registration_id", "details")
    }
)


Params = dict[str, Any] | list[dict[str, Any]]  # one row, or many (executemany)


class Conflict(Exception):
    """Another writer got there first (a unique row, a newer version): read again and retry."""


class StaleSession(Conflict):
    """Another writer changed the session since it was read."""


@dataclass(frozen=True)
class PersonRecord:
    id: int
    telegram_id: int
    language: str
    consent_version: str | None
    consented_at: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    person_id: int
    flow: str
    status: str
    step: str | None
    state: dict[str, Any]
    version: int
    pre_registration_id: int | None = None
    followup_id: int | None = None  # a check-in after return


@dataclass(frozen=True)
class RegistrationRecord:
    """A sent request: a case, as the dashboard calls it."""

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
    """What a completed intake brings to its pre-registration."""

    answers: dict[str, Any]
    answered_at: dict[str, Any]
    flags: tuple[str, ...]
    flow_version: str
    name_key: str | None


class Store:
    """The database, handed out one transaction (`unit`) at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite = sqlite_engine(url) if is_sqlite(url) else None
        self._async = None if self._sqlite is not None else async_engine(url)
        self._held: Connection | None = None

    @property
    def dialect(self) -> str:
        engine = self._sqlite or self._async
        assert engine is not None
        return engine.dialect.name

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One transaction: committed at the end, rolled back on an exception."""
        try:
            async with self._transaction() as unit:
                yield unit
        except IntegrityError as error:
            raise Conflict(type(error).__name__) from None  # its text holds the row's values

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Unit]:
        if self._sqlite is not None:
            # One connection serves every unit in turn (units never overlap on one loop);
            # a unit opened inside another gets a connection of its own from the pool.
            if self._held is None:
                self._held = self._sqlite.connect()
            if self._held.in_transaction():
                with self._sqlite.begin() as connection:
                    yield Unit(_InlineConnection(connection))
                return
            with self._held.begin():
                yield Unit(_InlineConnection(self._held))
            return
        assert self._async is not None
        async with self._async.begin() as connection:
            yield Unit(connection)

    async def upgrade(self, revision: str = "head") -> None:
        """Apply schema migrations up to `revision`."""
        if self._sqlite is not None:
            with self._sqlite.begin() as connection:
                run_migrations(connection, revision)
            return
        assert self._async is not None
        async with self._async.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Processes starting together migrate one after the other, not in a race.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x1A7E}
                )
            await connection.run_sync(run_migrations, revision)

    async def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        if self._sqlite is not None:
            self._sqlite.dispose()
        if self._async is not None:
            await self._async.dispose()


class _InlineConnection:
    """What Unit uses of AsyncConnection, over a synchronous SQLite connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, parameters: Params | None = None
    ) -> CursorResult[Any]:
        return self._connection.execute(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._connection.begin_nested():
            yield


class _Connection(Protocol):
    async def execute(
        self, statement: Executable, parameters: Params | None = None, /
    ) -> CursorResult[Any]: ...

    def begin_nested(self) -> AbstractAsyncContextManager[Any]: ...


def _person(row: Mapping[Any, Any]) -> PersonRecord:
    return PersonRecord(
        row["id"], row["telegram_id"], row["language"], row["consent_version"], row["consented_at"]
    )


class Unit:
    def __init__(self, connection: _Connection) -> None:
        self.connection = connection

    # People

    async def person(self, telegram_id: int) -> PersonRecord | None:
        result = await self.connection.execute(
            select(people).where(people.c.telegram_id == telegram_id)
        )
        row = result.mappings().first()
        return _person(row) if row else None

    async def person_and_session(
        self, telegram_id: int
    ) -> tuple[PersonRecord | None, SessionRecord | None]:
        """A person and their open session, in one query."""
        result = await self.connection.execute(_PERSON_AND_SESSION, {"telegram_id": telegram_id})
        row = result.first()
        if row is None:
            return None, None
        split = len(_PERSON_COLUMNS)
        person = PersonRecord(*row[:split])
        return person, SessionRecord(*row[split:]) if row[split] is not None else None

    async def add_person(self, telegram_id: int, language: str, now: datetime) -> PersonRecord:
        values = {"telegram_id": telegram_id, "language": language}
        result = await self.connection.execute(
            insert(people).values(**values, created_at=now, updated_at=now).returning(people.c.id)
        )
        return PersonRecord(result.scalar_one(), telegram_id, language, None, None)

    async def update_person(self, person: PersonRecord, now: datetime, **values: Any) -> None:
        await self.connection.execute(
            update(people).where(people.c.id == person.id).values(**values, updated_at=now)
        )

    async def erase_person(self, person_id: int) -> None:
        """Delete a person and, by cascade, their sessions, pre-registrations and flags.

        Cases that were flagged as their possible duplicates lose the flag when no other
        twin is left.
        """
        twins: set[int] = set()
        for registration in await self.connection.execute(
            select(registrations).where(registrations.c.person_id == person_id)
        ):
            twins.update(await self._duplicates(registration.id, registration._asdict()))
        await self.connection.execute(delete(people).where(people.c.id == person_id))
        for twin in twins:
            row = (
                await self.connection.execute(
                    select(registrations).where(registrations.c.id == twin)
                )
            ).first()
            if row is not None and not await self._duplicates(twin, row._asdict()):
                await self.connection.execute(
                    delete(flags).where(
                        flags.c.pre_registration_id == twin, flags.c.flag == DUPLICATE_FLAG
                    )
                )

    async def withdraw_followup_consent(self, registration_id: int, now: datetime) -> None:
        """Record that the person wants no messages after return."""
        row = (
            await self.connection.execute(
                select(registrations.c.answers).where(registrations.c.id == registration_id)
            )
        ).first()
        if row is None:
            return
        answers = {**row.answers, "followup_consent": False}
        await self.connection.execute(
            update(registrations)
            .where(registrations.c.id == registration_id)
            .values(answers=answers, updated_at=now)
        )
        await self.add_flag(registration_id, NO_FOLLOWUP_FLAG)

    # Sessions

    async def add_session(
        self,
        person_id: int,
        flow: str,
        state: dict[str, Any],
        now: datetime,
        pre_registration_id: int | None = None,
        followup_id: int | None = None,
    ) -> None:
        await self.connection.execute(
            _ADD_SESSION,
            {
                "case_id": pre_registration_id,
                "followup": followup_id,
                "person": person_id,
                "flow_id": flow,
                "status_": state["status"],
                "step_": state["key"],
                "revision_": state["revision"],
                "state_": state,
                "now": now,
            },
        )

    async def save_session(self, row: SessionRecord, state: dict[str, Any], now: datetime) -> None:
        """Write the new state if nobody else has since `row` was read; else StaleSession."""
        result = await self.connection.execute(
            _SAVE_SESSION,
            {
                "session_id": row.id,
                "read_version": row.version,
                "state": state,
                "status": state["status"],
                "step": state["key"],
                "revision": state["revision"],
                "version": row.version + 1,
                "updated_at": now,
            },
        )
        if result.rowcount != 1:
            raise StaleSession(row.id)

    async def delete_session(self, row: SessionRecord) -> None:
        result = await self.connection.execute(
            delete(sessions).where(sessions.c.id == row.id, sessions.c.version == row.version)
        )
        if result.rowcount != 1:
            raise StaleSession(row.id)

    # Pre-registrations

    async def registrations(self, person_id: int) -> list[RegistrationRecord]:
        result = await self.connection.execute(
            select(registrations)
            .where(registrations.c.person_id == person_id)
            .order_by(registrations.c.id)
        )
        records = []
        for row in result.mappings():
            names = await self.connection.execute(
                select(flags.c.flag).where(flags.c.pre_registration_id == row["id"])
            )
            records.append(
                RegistrationRecord(
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
        self, person: PersonRecord, submission: Submission, prefix: str, now: datetime
    ) -> RegistrationRecord:
        """Create the pre-registration, with a new reference and duplicate detection."""
        answers = submission.answers
        reference = await self._next_reference(prefix, now.year)
        values = {
            "reference": reference,
            "person_id": person.id,
            "status": SUBMITTED,
            "language": person.language,
            "flow_version": submission.flow_version,
            "answers": answers,
            "answered_at": submission.answered_at,
            "full_name": answers.get("full_name"),
            "name_key": submission.name_key,
            "date_of_birth": answers.get("date_of_birth"),
            "phone": answers.get("phone"),
            "nationality": answers.get("nationality"),
            "current_city": answers.get("current_city"),
            "created_at": now,
            "updated_at": now,
        }
        result = await self.connection.execute(
            insert(registrations).values(**values).returning(registrations.c.id)
        )
        registration_id = result.scalar_one()
        names = set(submission.flags)
        twins = await self._duplicates(registration_id, values)
        if twins:
            names.add(DUPLICATE_FLAG)
            known = await self.connection.execute(
                select(flags.c.pre_registration_id).where(
                    flags.c.pre_registration_id.in_(twins), flags.c.flag == DUPLICATE_FLAG
                )
            )
            already = set(known.scalars())
            for twin in twins:
                if twin not in already:
                    await self._flag(twin, DUPLICATE_FLAG)
        for name in sorted(names):
            await self._flag(registration_id, name)
        return RegistrationRecord(
            registration_id,
            reference,
            SUBMITTED,
            person.language,
            answers,
            submission.answered_at,
            now,
            tuple(sorted(names)),
        )

    async def add_flag(self, registration_id: int, name: str) -> None:
        """Flag a case, once."""
        known = await self.connection.execute(
            select(flags.c.flag).where(
                flags.c.pre_registration_id == registration_id, flags.c.flag == name
            )
        )
        if known.first() is None:
            await self._flag(registration_id, name)

    async def has_audit(self, action: str, person_id: int) -> bool:
        result = await self.connection.execute(
            select(audit_events.c.id)
            .where(audit_events.c.action == action, audit_events.c.person_id == person_id)
            .limit(1)
        )
        return result.first() is not None

    async def correct(
        self,
        registration_id: int,
        submission: Submission,
        flow_flags: set[str],
        now: datetime,
    ) -> RegistrationRecord:
        """New answers for a sent request; the old ones are kept as a version."""
        row = (
            (
                await self.connection.execute(
                    select(registrations).where(registrations.c.id == registration_id)
                )
            )
            .mappings()
            .one()
        )
        await self.connection.execute(
            insert(answer_versions).values(
                pre_registration_id=registration_id,
                answers=row["answers"],
                answered_at=row["answered_at"],
                replaced_at=now,
            )
        )
        answers = submission.answers
        await self.connection.execute(
            update(registrations)
            .where(registrations.c.id == registration_id)
            .values(
                answers=answers,
                answered_at={**row["answered_at"], **submission.answered_at},
                status="in_review",
                full_name=answers.get("full_name"),
                name_key=submission.name_key,
                date_of_birth=answers.get("date_of_birth"),
                phone=answers.get("phone"),
                nationality=answers.get("nationality"),
                current_city=answers.get("current_city"),
                updated_at=now,
            )
        )
        await self.connection.execute(  # the flow's flags are computed again
            delete(flags).where(
                flags.c.pre_registration_id == registration_id, flags.c.flag.in_(flow_flags)
            )
        )
        for name in submission.flags:
            await self.add_flag(registration_id, name)
        (record,) = [
            r for r in await self.registrations(row["person_id"]) if r.id == registration_id
        ]
        return record

    async def _flag(self, registration_id: int, name: str) -> None:
        await self.connection.execute(
            insert(flags).values(pre_registration_id=registration_id, flag=name)
        )

    async def _duplicates(self, registration_id: int, values: dict[str, Any]) -> list[int]:
        same: list[Any] = []
        if values["phone"]:
            same.append(registrations.c.phone == values["phone"])
        if values["name_key"] and values["date_of_birth"]:
            same.append(
                (registrations.c.name_key == values["name_key"])
                & (registrations.c.date_of_birth == values["date_of_birth"])
            )
        if not same:
            return []
        result = await self.connection.execute(
            select(registrations.c.id).where(or_(*same), registrations.c.id != registration_id)
        )
        return list(result.scalars())

    async def _next_reference(self, prefix: str, year: int) -> str:
        bump = (
            update(counters)
            .where(counters.c.prefix == prefix, counters.c.year == year)
            .values(last=counters.c.last + 1)
            .returning(counters.c.last)
        )
        number = (await self.connection.execute(bump)).scalar_one_or_none()
        if number is None:
            try:
                async with self.connection.begin_nested():
                    await self.connection.execute(
                        insert(counters).values(prefix=prefix, year=year, last=1)
                    )
                number = 1
            except IntegrityError:  # another process created this year's counter first
                number = (await self.connection.execute(bump)).scalar_one()
        return f"{prefix}-{year}-{number:05d}"

    # Audit

    async def audit(
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
        await self.connection.execute(
            _AUDIT,
            {
                "at": now,
                "actor": actor,
                "action": action,
                "person_id": person_id,
                "pre_registration_id": pre_registration_id,
                "details": details,
            },
        )
