"""The intake service: one person's input in, one transaction, what to tell them out.

Channel-agnostic: the Telegram handlers, the terminal chat and the benchmark all call it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from bot import engine, flags
from bot.engine import (
    ChoiceInput,
    Completed,
    ConsentGiven,
    Ended,
    Flow,
    Input,
    LanguageChosen,
    Resources,
    Session,
    TextInput,
)
from bot.replies import (
    AlreadySubmitted,
    Cancelled,
    CheckinDone,
    ConfirmCancel,
    ConfirmDelete,
    Corrected,
    DataReport,
    Erased,
    FollowupsStopped,
    HumanRequested,
    HumanWithoutRequest,
    Item,
    KeepGoing,
    LanguageChanged,
    LanguageMenu,
    MessagePassed,
    NothingOpen,
    NothingStored,
    Notice,
    Reply,
    ResumeOffer,
    StatusReport,
    Submitted,
    User,
)
from bot.status import CLOSED as CLOSED_STATUSES
from bot.store import (
    NAME_KEY_LENGTH,
    Conflict,
    PersonRecord,
    RegistrationRecord,
    SessionRecord,
    Store,
    Submission,
    Unit,
    cases,
)
from bot.store import followups as followup_store

log = logging.getLogger(__name__)
T = TypeVar("T")
FLOW = "intake"
HUMAN_WISH = "person.asked_for_a_person"
_ATTEMPTS = 3


class Intake:
    def __init__(
        self,
        store: Store,
        flow: Flow,
        resources: Resources,
        negotiate: Callable[[str | None], str],
        clock: Callable[[], datetime],
        reference_prefix: str = "AVR",
        checkins: Mapping[str, Flow] | None = None,
    ) -> None:
        self.store = store
        self.flow = flow
        self.flows = {flow.id: flow, **(checkins or {})}
        self.resources = resources
        self.negotiate = negotiate
        self.clock = clock
        self.prefix = reference_prefix

    async def answer(self, user: User, given: Input) -> Reply:
        """An answer, a tap or anything else sent during (or before) an intake."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if row is None and isinstance(given, ChoiceInput):
                # A button of a conversation that is over (/cancel, /delete): start nothing.
                language = person.language if person else self.negotiate(user.language_code)
                return Reply(language, [NothingOpen()])
            if person is None:
                person = await self._add_person(unit, user, now)
            if row is None:
                if registrations := await unit.registrations(person.id):
                    latest = registrations[-1]
                    if isinstance(given, TextInput) and latest.status not in CLOSED_STATUSES:
                        await cases.add_message(unit, latest.id, "in", None, given.text, True, now)
                        await unit.audit(
                            "case.message_received", now, pre_registration_id=latest.id
                        )
                        return Reply(person.language, [MessagePassed(latest.reference)])
                    return Reply(person.language, [_already(latest)])
                return await self._begin(unit, person, now)
            state = Session.from_dict(row.state)
            transition = engine.resume(self._flow(row), state, given, now, self.resources)
            return await self._apply(unit, person, row, transition, now)

        return await self._run(work)

    async def start(self, user: User) -> Reply:
        """/start: a new intake, or an offer to continue the open one."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await self._person_and_session(unit, user, now)
            if row is not None:
                if row.state.get("answers", {}).get("consent"):
                    return Reply(person.language, [ResumeOffer()])
                return Reply(person.language, self._current(row, now))
            if registrations := await unit.registrations(person.id):
                return Reply(person.language, [_already(registrations[-1])])
            return await self._begin(unit, person, now)

        return await self._run(work)

    async def resume_choice(self, user: User, restart: bool) -> Reply:
        """The answer to ResumeOffer."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is None or row is None:
                language = person.language if person else self.negotiate(user.language_code)
                return Reply(language, [NothingOpen()])
            if not restart:
                return Reply(person.language, self._current(row, now))
            await unit.delete_session(row)
            await unit.audit("intake.restarted", now, person_id=person.id)
            return await self._begin(unit, person, now)

        return await self._run(work)

    async def language_menu(self, user: User) -> Reply:
        async with self.store.unit() as unit:
            person = await unit.person(user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
        return Reply(language, [LanguageMenu(language)])

    async def set_language(self, user: User, language: str) -> Reply:
        """/language: switch, then ask the current question again in the new language."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is not None:
                await unit.update_person(person, now, language=language)
            if row is None:
                return Reply(language, [LanguageChanged()])
            state = _state(row)
            if "language" in state.answers:
                state.answers["language"] = language
                await unit.save_session(row, state.to_dict(), now)
            return Reply(language, [*engine.current(self.flow, state, now)])

        return await self._run(work)

    async def cancel(self, user: User, confirmed: bool | None = None) -> Reply:
        """/cancel asks first; confirmed, it keeps nothing of the open intake, or ends the
        open check-in (the others stay planned: /stop is for all of them)."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            if person is None or row is None:
                return Reply(language, [NothingOpen()])
            checkin = row.followup_id is not None
            if confirmed is None:
                return Reply(language, [ConfirmCancel(checkin)])
            if not confirmed:
                return Reply(language, [KeepGoing(), *self._current(row, now)])
            await unit.delete_session(row)
            if row.followup_id is not None:
                await followup_store.update_row(
                    unit, row.followup_id, now, status=followup_store.CANCELLED, reason="person"
                )
                await unit.audit("followup.cancelled", now, person_id=person.id)
                return Reply(language, [Cancelled(checkin=True)])
            await self._forget_if_empty(unit, person, now, "intake.cancelled")
            return Reply(language, [Cancelled()])

        return await self._run(work)

    async def status(self, user: User) -> Reply:
        async with self.store.unit() as unit:
            person = await unit.person(user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [StatusReport(())])
            registrations = await unit.registrations(person.id)
            report = tuple((r.reference, r.status) for r in registrations)
            return Reply(person.language, [StatusReport(report)])

    async def my_data(self, user: User) -> Reply:
        async with self.store.unit() as unit:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [NothingStored()])
            registrations = await unit.registrations(person.id)
            answers = registrations[-1].answers if registrations else {}
            if row is not None and row.followup_id is None:
                answers = _state(row).answers
            report = DataReport(
                language=person.language,
                consented_at=person.consented_at,
                answers=answers,
                references=tuple(r.reference for r in registrations),
            )
            return Reply(person.language, [report])

    async def delete(self, user: User, confirmed: bool | None = None) -> Reply:
        """/delete asks first; confirmed, it erases the person and everything about them."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [NothingStored()])
            language = person.language
            if confirmed is None:
                return Reply(language, [ConfirmDelete()])
            if not confirmed:
                return Reply(language, [KeepGoing(), *self._current(row, now)])
            erased = len(await unit.registrations(person.id))
            await unit.erase_person(person.id)
            await unit.audit("person.erased", now, pre_registrations=erased)
            return Reply(language, [Erased()])

        return await self._run(work)

    async def notice(self, user: User, notice: Notice) -> Reply:
        """A notice that changes nothing, then the current question if an intake is open."""
        async with self.store.unit() as unit:
            person, row = await unit.person_and_session(user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            return Reply(language, [notice, *self._current(row, self.clock())])

    async def human(self, user: User) -> Reply:
        """/human or "talk to a person": the case is flagged for a call back."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [HumanWithoutRequest()])
            registrations = await unit.registrations(person.id)
            if registrations:
                await unit.add_flag(registrations[-1].id, flags.WANTS_HUMAN)
                await unit.audit(
                    "case.human_requested", now, pre_registration_id=registrations[-1].id
                )
            elif row is not None:  # flagged when the request is sent
                await unit.audit(HUMAN_WISH, now, person_id=person.id)
            else:
                return Reply(person.language, [HumanWithoutRequest()])
            return Reply(person.language, [HumanRequested(), *self._current(row, now)])

        return await self._run(work)

    async def stop_followups(self, user: User) -> Reply:
        """/stop: no messages after return, for every request of the person."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await unit.person_and_session(user.telegram_id)
            if person is None:
                return Reply(self.negotiate(user.language_code), [FollowupsStopped()])
            for registration in await unit.registrations(person.id):
                await unit.withdraw_followup_consent(registration.id, now)
            cancelled = await followup_store.cancel(unit, now, "stopped", person_id=person.id)
            if row is not None and row.followup_id is not None:  # stopped mid check-in
                await followup_store.update_row(
                    unit, row.followup_id, now, status=followup_store.CANCELLED, reason="stopped"
                )
                await unit.delete_session(row)
                cancelled, row = cancelled + 1, None
            if row is not None and row.state.get("answers", {}).get("followup_consent"):
                state = _state(row)
                state.answers["followup_consent"] = False
                await unit.save_session(row, state.fields(), now)
            await unit.audit("followups.stopped", now, person_id=person.id, cancelled=cancelled)
            return Reply(person.language, [FollowupsStopped(), *self._current(row, now)])

        return await self._run(work)

    # Internals

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

    async def _person_and_session(
        self, unit: Unit, user: User, now: datetime
    ) -> tuple[PersonRecord, SessionRecord | None]:
        """The person (created on first contact) and their open session, if any."""
        person, row = await unit.person_and_session(user.telegram_id)
        if person is None:
            return await self._add_person(unit, user, now), None
        return person, row

    async def _add_person(self, unit: Unit, user: User, now: datetime) -> PersonRecord:
        return await unit.add_person(user.telegram_id, self.negotiate(user.language_code), now)

    def _flow(self, row: SessionRecord) -> Flow:
        return self.flows.get(row.flow, self.flow)

    def _current(self, row: SessionRecord | None, now: datetime) -> list[Item]:
        """The open conversation's current question, asked again; nothing without one."""
        return [*engine.current(self._flow(row), _state(row), now)] if row is not None else []

    async def _begin(self, unit: Unit, person: PersonRecord, now: datetime) -> Reply:
        transition = engine.start(self.flow, now)
        await unit.add_session(person.id, self.flow.id, transition.session.to_dict(), now)
        return Reply(person.language, list(transition.events))

    async def _apply(
        self,
        unit: Unit,
        person: PersonRecord,
        row: SessionRecord,
        transition: engine.Transition,
        now: datetime,
    ) -> Reply:
        reply = Reply(person.language, list(transition.events))
        state = transition.session
        log.debug("session %s: %s -> %s", row.id, row.step, state.key)
        for event in transition.events:
            if isinstance(event, LanguageChosen):
                person = replace(person, language=event.language)
                reply.language = event.language
                await unit.update_person(person, now, language=event.language)
            elif isinstance(event, ConsentGiven):
                await unit.update_person(
                    person, now, consent_version=event.version, consented_at=now
                )
                await unit.audit("consent.given", now, person_id=person.id, version=event.version)
            elif isinstance(event, Completed) and row.followup_id is not None:
                await followup_store.answered(
                    unit, row.followup_id, event.answers, event.flags, now
                )
                reply.items.append(CheckinDone(bool(flags.RED & set(event.flags))))
                await unit.delete_session(row)
                return reply
            elif isinstance(event, Completed) and row.pre_registration_id is not None:
                registration = await self._correct(unit, row.pre_registration_id, state, event, now)
                reply.items.append(Corrected(registration.reference))
                await unit.delete_session(row)
                return reply
            elif isinstance(event, Completed):
                registration = await self._submit(unit, person, state, event, now)
                reply.items.append(Submitted(registration.reference))
                await unit.delete_session(row)  # the answers now live in the registration
                return reply
            elif isinstance(event, Ended):
                await unit.delete_session(row)
                await self._forget_if_empty(unit, person, now, f"intake.ended.{event.outcome}")
                return reply
        await unit.save_session(row, state.fields(), now)
        return reply

    async def _submit(
        self, unit: Unit, person: PersonRecord, state: Session, done: Completed, now: datetime
    ) -> RegistrationRecord:
        wished = await unit.has_audit(HUMAN_WISH, person.id)
        submission = self._submission(state, done, (flags.WANTS_HUMAN,) if wished else ())
        registration = await unit.submit(person, submission, self.prefix, now)
        await unit.audit(
            "pre_registration.submitted",
            now,
            person_id=person.id,
            pre_registration_id=registration.id,
        )
        log.info("pre-registration %s submitted", registration.reference)
        return registration

    def _submission(
        self, state: Session, done: Completed, extra_flags: tuple[str, ...] = ()
    ) -> Submission:
        """What a completed conversation brings to a request, new or corrected."""
        name = done.answers.get("full_name")
        return Submission(
            answers=done.answers,
            answered_at=state.answered_at,
            flags=(*done.flags, *extra_flags),
            flow_version=self.flow.version,
            name_key=engine.fold(name)[:NAME_KEY_LENGTH] if isinstance(name, str) else None,
        )

    async def _correct(
        self, unit: Unit, registration_id: int, state: Session, done: Completed, now: datetime
    ) -> RegistrationRecord:
        flow_flags = {rule.flag for rule in self.flow.flags}
        submission = self._submission(state, done)
        registration = await unit.correct(registration_id, submission, flow_flags, now)
        await unit.audit("case.corrected", now, pre_registration_id=registration_id)
        return registration

    async def open_correction(self, registration_id: int, steps: list[str]) -> User | None:
        """Ask the person again exactly `steps` of a sent request; None if they are busy."""

        async def work(unit: Unit, now: datetime) -> User | None:
            target = await cases.recipient(unit, registration_id)
            if target is None:
                return None
            telegram_id, _language = target
            person, row = await unit.person_and_session(telegram_id)
            if person is None or row is not None:
                return None  # the person is in the middle of another conversation
            registration = next(
                r for r in await unit.registrations(person.id) if r.id == registration_id
            )
            answers = {k: v for k, v in registration.answers.items() if k not in steps}
            already_said = [s.id for s in self.flow.steps if s.kind in ("info", "repeat")]
            state = Session(self.flow.id, answers=answers, seen=already_said)
            state.key = engine.current(self.flow, state, now)[0].key  # type: ignore[union-attr]
            await unit.add_session(person.id, self.flow.id, state.to_dict(), now, registration_id)
            await unit.audit(
                "case.correction_asked", now, pre_registration_id=registration_id, steps=steps
            )
            return User(telegram_id)

        return await self._run(work)

    async def prompt(self, user: User) -> Reply:
        """The open conversation's current question, as it would be asked now."""
        async with self.store.unit() as unit:
            person, row = await unit.person_and_session(user.telegram_id)
            language = person.language if person else self.negotiate(None)
            return Reply(language, self._current(row, self.clock()))

    async def _forget_if_empty(
        self, unit: Unit, person: PersonRecord, now: datetime, why: str
    ) -> None:
        """A person with no request left keeps nothing: not even their Telegram id."""
        if await unit.registrations(person.id):
            await unit.audit(why, now, person_id=person.id)
            return
        await unit.erase_person(person.id)
        await unit.audit(why, now)


def _state(row: SessionRecord) -> Session:
    return Session.from_dict(row.state)


def _already(registration: RegistrationRecord) -> AlreadySubmitted:
    return AlreadySubmitted(registration.reference, registration.status)
