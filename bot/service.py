"""What every use-case of a person shares: one transaction, retried when another writer
moved first, and the person and open conversation it is about."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Protocol, TypeVar

from bot import engine
from bot.caseload import NewCases
from bot.engine import Flow, Resources, Session
from bot.followups.service import TOO_LATE
from bot.replies import Item, Reply, User
from bot.store import (
    Conflict,
    PersonRecord,
    SessionRecord,
    Store,
    Unit,
    audit,
    cases,
    checkins,
    people,
    sessions,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
_ATTEMPTS = 3


class Journal(Protocol):
    """Where a reply waits for the person, kept in the transaction that decided it, along
    with the mark that the update it answers is handled. After a crash the reply is still
    sent, and the update is not handled a second time."""

    async def keep(self, unit: Unit, user: User, reply: Reply, now: datetime) -> None: ...


class Alerts(Protocol):
    """Who is told of a case's red flags (bot/duty.py): queued in the transaction that
    raises them, so a flag is never told without being kept, nor kept without being told."""

    async def flagged(
        self, unit: Unit, case_id: int, names: Iterable[str], now: datetime
    ) -> int: ...


class Service:
    """The store, the flows and the clock, with the transaction every use-case runs in."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        resources: Resources,
        negotiate: Callable[[str | None], str],
        clock: Callable[[], datetime],
        reference_prefix: str = "AVR",
        checkin_flows: Mapping[str, Flow] | None = None,
        *,
        journal: Journal,
        alerts: Alerts | None = None,
        new_cases: NewCases = NewCases.NONE,
    ) -> None:
        self.store = store
        self.new_cases = new_cases  # who gets a case just submitted
        self.journal = journal
        self.alerts = alerts
        self.flow = flow
        self.flows = {flow.id: flow, **(checkin_flows or {})}
        self.resources = resources
        self.negotiate = negotiate
        self.clock = clock
        self.prefix = reference_prefix

    async def _run(self, work: Callable[[Unit, datetime], Awaitable[T]]) -> T:
        """Run `work` in one transaction; retry when another process moved the session first."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self.store.unit() as unit:
                    return await work(unit, self.clock())
            except Conflict:
                # Another process moved first: created this person or their session, or
                # changed the session since it was read. Start again on fresh data.
                if attempt == _ATTEMPTS:
                    raise
                log.info("another writer moved first; retrying (attempt %d)", attempt)
        raise AssertionError("unreachable")

    async def _answer(
        self, user: User, work: Callable[[Unit, datetime], Awaitable[Reply]]
    ) -> Reply:
        """`_run` for what a person is told: the reply is kept in the same transaction."""

        async def answered(unit: Unit, now: datetime) -> Reply:
            reply = await work(unit, now)
            await self.journal.keep(unit, user, reply, now)
            return reply

        return await self._run(answered)

    async def _person_and_session(
        self, unit: Unit, user: User, now: datetime
    ) -> tuple[PersonRecord, SessionRecord | None]:
        """The person (created on first contact) and their open session, if any."""
        person, row = await sessions.person_and_session(unit, user.telegram_id)
        if person is None:
            return await self._add_person(unit, user, now), None
        return person, row

    async def _add_person(self, unit: Unit, user: User, now: datetime) -> PersonRecord:
        return await people.add(unit, user.telegram_id, self.negotiate(user.language_code), now)

    async def raised(self, unit: Unit, case_id: int, names: Iterable[str], now: datetime) -> None:
        """Flags just raised on a case, in `unit`: its red ones are told to staff."""
        if self.alerts is not None:
            await self.alerts.flagged(unit, case_id, names, now)

    def _flow(self, row: SessionRecord) -> Flow:
        return self.flows.get(row.flow, self.flow)

    def _current(self, row: SessionRecord | None, now: datetime) -> list[Item]:
        """The open conversation's current question, asked again; nothing without one."""
        return (
            [*engine.current(self._flow(row), session_state(row), now)] if row is not None else []
        )

    async def _forget_if_empty(
        self, unit: Unit, person: PersonRecord, now: datetime, why: str
    ) -> None:
        """A person with no case left keeps nothing: not even their Telegram id."""
        if await cases.of_person(unit, person.id):
            await audit.record(unit, why, now, person_id=person.id)
            return
        await people.erase(unit, person.id)
        await audit.record(unit, why, now)


def session_state(row: SessionRecord) -> Session:
    """The engine's session stored in a row."""
    return Session.from_dict(row.state)


async def came_back(unit: Unit, telegram_id: int, now: datetime) -> bool:
    """If the person was marked as having stopped the bot, they are back: what paused goes
    on, and check-ins cancelled when a message was refused are planned again (those still
    due); whether they had been marked."""
    person_id = await people.unblocked(unit, telegram_id, now)
    if person_id is None:
        return False
    planned = await checkins.resume(unit, person_id, now, now - TOO_LATE)
    await audit.record(unit, "person.came_back", now, person_id=person_id, replanned=planned)
    return True
