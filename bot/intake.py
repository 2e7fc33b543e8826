"""The intake service: one person's input in, one transaction, what to tell them out.

Channel-agnostic: the Telegram handlers, the terminal chat and the benchmark all call it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot import departures, engine, flags
from bot.caseload import assign_new
from bot.commands import HUMAN_WISH, Commands
from bot.engine import (
    ChoiceInput,
    Completed,
    ConsentGiven,
    Ended,
    Flow,
    Input,
    Kind,
    LanguageChosen,
    Rejected,
    Session,
    TextInput,
    Transition,
    scoring,
)
from bot.replies import (
    AlreadySubmitted,
    CheckinDone,
    Corrected,
    KeptForStaff,
    LanguageChanged,
    LanguageMenu,
    MessagePassed,
    NothingOpen,
    Notice,
    Reply,
    ResumeOffer,
    Submitted,
    User,
)
from bot.service import session_state
from bot.status import CLOSED
from bot.store import (
    NAME_KEY_LENGTH,
    CaseRecord,
    PersonRecord,
    SessionRecord,
    Submission,
    Unit,
    audit,
    cases,
    checkins,
    messages,
    people,
    sessions,
    sources,
)

log = logging.getLogger(__name__)
FLOW = "intake"
DECLINED = "declined"  # the consent's outcome when the person does not agree


class Intake(Commands):
    """The intake conversation, and the check-in and correction conversations it opens."""

    async def answer(self, user: User, given: Input) -> Reply:
        """An answer, a tap or anything else sent during (or before) an intake."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if row is None and isinstance(given, ChoiceInput):
                # A button of a conversation that is over (/cancel, /delete): start nothing.
                language = person.language if person else self.negotiate(user.language_code)
                return Reply(language, [NothingOpen()])
            if person is None:
                person = await self._add_person(unit, user, now)
            if row is None:
                if person_cases := await cases.of_person(unit, person.id):
                    latest = cases.current(person_cases)
                    if isinstance(given, TextInput) and (
                        answered := await departures.typed_answer(
                            unit, latest.id, given.text, self.resources.words, now, self.alerts
                        )
                    ):  # "oui" to the question before the flight
                        return Reply(person.language, [answered])
                    if isinstance(given, TextInput):  # closed or not: nothing is dropped
                        await messages.add(unit, latest.id, "in", None, given.text, True, now)
                        await audit.record(
                            unit, "case.message_received", now, pre_registration_id=latest.id
                        )
                        closed = latest.status in CLOSED  # kept, but nobody may read it soon
                        passed = MessagePassed(latest.reference, closed)
                        return Reply(person.language, [passed])
                    return Reply(person.language, [_already(latest)])
                return await self._begin(unit, person, now)
            state = Session.from_dict(row.state)
            transition = engine.resume(self._flow(row), state, given, now, self.resources)
            reply = await self._apply(unit, person, row, transition, now)
            rejected = any(isinstance(event, Rejected) for event in transition.events)
            if rejected and isinstance(given, TextInput):
                # Someone asked again by staff, or checked on after return, often writes to
                # them rather than answering: their words reach the case.
                case_id = row.pre_registration_id
                if case_id is None and row.followup_id is not None:
                    case_id = await checkins.case_of(unit, row.followup_id)
                if case_id is not None:
                    reply.items.insert(0, await self._keep_for_staff(unit, case_id, given, now))
            return reply

        return await self._answer(user, work)

    async def open_checkin(
        self, unit: Unit, person_id: int, flow: Flow, followup_id: int, now: datetime
    ) -> Transition:
        """Open a check-in's conversation, in the caller's transaction (the dispatcher's
        claim of its row): its first question's events, for the dispatcher to send."""
        transition = engine.start(flow, now)
        await sessions.add(
            unit, person_id, flow.id, transition.session.to_dict(), now, followup_id=followup_id
        )
        return transition

    async def start(self, user: User, code: str | None = None) -> Reply:
        """/start: a new intake, or an offer to continue the open one. `code` is the
        outreach link's (`/start <code>`): a known one is kept with a new intake; an
        unknown one, or one that comes after the intake began, changes nothing."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await self._person_and_session(unit, user, now)
            if row is not None:
                if row.state.get("answers", {}).get("consent"):
                    return Reply(person.language, [ResumeOffer()])
                return Reply(person.language, self._current(row, now))
            if person_cases := await cases.of_person(unit, person.id):
                return Reply(person.language, [_already(cases.current(person_cases))])
            source_id = await self._source(unit, code)
            await sources.count(unit, source_id, sources.STARTED)
            return await self._begin(unit, person, now, source_id)

        return await self._answer(user, work)

    async def resume_choice(self, user: User, restart: bool) -> Reply:
        """The answer to ResumeOffer."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is None or row is None:
                language = person.language if person else self.negotiate(user.language_code)
                return Reply(language, [NothingOpen()])
            if not restart:
                return Reply(person.language, self._current(row, now))
            await sessions.end(unit, row)
            await audit.record(unit, "intake.restarted", now, person_id=person.id)
            return await self._begin(unit, person, now, row.source_id)

        return await self._answer(user, work)

    async def language_menu(self, user: User) -> Reply:
        async def work(unit: Unit, now: datetime) -> Reply:
            person = await people.find(unit, user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            return Reply(language, [LanguageMenu(language)])

        return await self._answer(user, work)

    async def set_language(self, user: User, language: str) -> Reply:
        """/language: switch, then ask the current question again in the new language."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            if person is not None:
                await people.change(unit, person, now, language=language)
            if row is None:
                return Reply(language, [LanguageChanged()])
            state = session_state(row)
            if "language" in state.answers:
                state.answers["language"] = language
                await sessions.save(unit, row, state.to_dict(), now)
            return Reply(language, [*engine.current(self.flow, state, now)])

        return await self._answer(user, work)

    async def notice(self, user: User, notice: Notice) -> Reply:
        """A notice that changes nothing, then the current question if an intake is open."""

        async def work(unit: Unit, now: datetime) -> Reply:
            person, row = await sessions.person_and_session(unit, user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            return Reply(language, [notice, *self._current(row, now)])

        return await self._answer(user, work)

    async def open_correction(self, case_id: int, steps: list[str]) -> User | None:
        """Ask the person again exactly `steps` of a case; None if they are busy. The first
        question is kept for them with the session (the journal): the caller sends it."""

        async def work(unit: Unit, now: datetime) -> User | None:
            target = await cases.recipient(unit, case_id)
            if target is None:
                return None
            telegram_id, _language = target
            person, row = await sessions.person_and_session(unit, telegram_id)
            if person is None or row is not None:
                return None  # the person is in the middle of another conversation
            case = next(r for r in await cases.of_person(unit, person.id) if r.id == case_id)
            answers = {k: v for k, v in case.answers.items() if k not in steps}
            already_said = [s.id for s in self.flow.steps if s.kind in (Kind.INFO, Kind.REPEAT)]
            state = Session(self.flow.id, answers=answers, seen=already_said)
            asked = engine.current(self.flow, state, now)
            state.key = asked[0].key  # type: ignore[union-attr]
            await sessions.add(unit, person.id, self.flow.id, state.to_dict(), now, case_id)
            await audit.record(
                unit, "case.correction_asked", now, pre_registration_id=case_id, steps=steps
            )
            user = User(telegram_id)
            await self.journal.keep(unit, user, Reply(person.language, [*asked]), now)
            return user

        return await self._run(work)

    async def _keep_for_staff(
        self, unit: Unit, case_id: int, given: TextInput, now: datetime
    ) -> KeptForStaff:
        """Text that fails a corrected or check-in question's check, kept on the case."""
        case = await cases.by_id(unit, case_id)
        assert case is not None  # a correction's or check-in's session goes with its case
        await messages.add(unit, case_id, "in", None, given.text, True, now)
        await audit.record(unit, "case.message_received", now, pre_registration_id=case_id)
        return KeptForStaff(case.reference)

    async def _begin(
        self, unit: Unit, person: PersonRecord, now: datetime, source_id: int | None = None
    ) -> Reply:
        transition = engine.start(self.flow, now)
        state = transition.session.to_dict()
        await sessions.add(unit, person.id, self.flow.id, state, now, source_id=source_id)
        return Reply(person.language, list(transition.events))

    async def _source(self, unit: Unit, code: str | None) -> int | None:
        """The outreach source a /start code names; None for none, or an unknown code."""
        if code is None:
            return None
        source_id = await sources.id_of(unit, code) if sources.well_formed(code) else None
        if source_id is None:  # a mistyped or made-up link: the person starts as anyone
            log.info("ignored an unknown outreach code")
        return source_id

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
                await people.change(unit, person, now, language=event.language)
            elif isinstance(event, ConsentGiven):
                await people.change(
                    unit, person, now, consent_version=event.version, consented_at=now
                )
                await audit.record(
                    unit, "consent.given", now, person_id=person.id, version=event.version
                )
            elif isinstance(event, Completed) and row.followup_id is not None:
                scores = scoring.score(self._flow(row), event.answers)
                case_id = await checkins.answered(
                    unit, row.followup_id, event.answers, event.flags, now, scores
                )
                if case_id is not None:  # every red answer is told, even a flag it had
                    await self.raised(unit, case_id, event.flags, now)
                facts = await checkins.planning_facts(unit, case_id) if case_id else None
                urgent = bool(flags.EMERGENCY & set(event.flags))
                reply.items.append(CheckinDone(urgent, facts.country if facts else None))
                await sessions.end(unit, row)
                return reply
            elif isinstance(event, Completed) and row.pre_registration_id is not None:
                case = await self._correct(unit, row.pre_registration_id, state, event, now)
                reply.items.append(Corrected(case.reference))
                await sessions.end(unit, row)
                return reply
            elif isinstance(event, Completed):
                case = await self._submit(unit, person, state, event, now, row.source_id)
                reply.items.append(Submitted(case.reference))
                await sessions.end(unit, row)  # the answers now live in the case
                return reply
            elif isinstance(event, Ended):
                await sessions.end(unit, row)
                if event.outcome == DECLINED:  # the source keeps a count, and nothing else
                    await sources.count(unit, row.source_id, sources.DECLINED)
                await self._forget_if_empty(unit, person, now, f"intake.ended.{event.outcome}")
                return reply
        await sessions.save(unit, row, state.fields(), now)
        return reply

    async def _submit(
        self,
        unit: Unit,
        person: PersonRecord,
        state: Session,
        done: Completed,
        now: datetime,
        source_id: int | None,
    ) -> CaseRecord:
        wished = await audit.has(unit, HUMAN_WISH, person.id)
        submission = self._submission(state, done, (flags.WANTS_HUMAN,) if wished else ())
        case = await cases.submit(unit, person, submission, self.prefix, now, source_id)
        await assign_new(unit, case.id, self.new_cases, now)
        await self.raised(unit, case.id, case.flags, now)
        await sources.count(unit, source_id, sources.SUBMITTED)
        await audit.record(
            unit,
            "pre_registration.submitted",
            now,
            person_id=person.id,
            pre_registration_id=case.id,
        )
        log.info("pre-registration %s submitted", case.reference)
        return case

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
        self, unit: Unit, case_id: int, state: Session, done: Completed, now: datetime
    ) -> CaseRecord:
        flow_flags = {rule.flag for rule in self.flow.flags}
        submission = self._submission(state, done)
        before = await cases.by_id(unit, case_id)
        case = await cases.correct(unit, case_id, submission, flow_flags, now)
        had = set(before.flags) if before is not None else set()
        await self.raised(unit, case_id, [f for f in case.flags if f not in had], now)
        await audit.record(unit, "case.corrected", now, pre_registration_id=case_id)
        return case


def _already(case: CaseRecord) -> AlreadySubmitted:
    return AlreadySubmitted(case.reference, case.status)
