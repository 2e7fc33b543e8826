"""What caseworkers do to a case: move its status, set its return, write notes and messages.

The dashboard's handlers call these with plain values (and a CLI could); refusals come back
as typed errors, raised once their transaction is over. Sends to the person happen outside
any transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot import decisions, status
from bot.checklist import Checklist
from bot.engine import Flow, Kind, Step
from bot.engine.checkins import Followups
from bot.engine.flow import N_
from bot.followups.service import schedule_case
from bot.followups.zones import valid_zone
from bot.i18n import Catalogs
from bot.roles import Role
from bot.status import Status
from bot.store import (
    Store,
    Unit,
    accounts,
    assignment,
    audit,
    cases,
    checkins,
    messages,
    notes,
    projects,
    twins,
)
from bot.store import appointments as appointment_rows

if TYPE_CHECKING:
    from bot.travel import Travel

Clock = Callable[[], datetime]
Notify = Callable[[int, str], Awaitable[bool]]  # (telegram id, text) -> delivered?
AskAgain = Callable[[int, list[str]], Awaitable[bool]]  # (case id, step ids) -> asked?
NOTE_LIMIT = 2000
_ASSIGNABLE = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
MESSAGE_LIMIT = 3000


class NoSuchCase(LookupError):
    """No case has this reference."""


class Refused(Exception):
    """A change the case does not allow; `reason` is a translatable text, and `field` names
    the form field at fault ("" for the form as a whole)."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class StatusChange:
    """A caseworker's decision on a case's status, with its details."""

    target: str
    note: str = ""
    return_date: date | None = None
    ask: tuple[str, ...] = ()  # the answers the person gives again, for "needs_info"
    tell: bool | None = None  # tell the person; None: as the office does for this status
    reason: str = ""  # why not accepted: a refusal reason's code, for "rejected"
    override: bool = False  # a supervisor accepts without a complete counselling checklist
    duplicate_of: str = ""  # the other case's reference, for "duplicate"
    project: int | None = None  # the project an accepted case joins
    # Moved in from the project's waiting list by a supervisor (bot/projects.py `admit`):
    # the one way off the list into the project, first come first.
    admitted: bool = False


def correctable(flow: Flow, answers: dict[str, Any]) -> list[Step]:
    """The answers a caseworker may ask again (not language or consent)."""
    return [
        step
        for step in flow.steps
        if step.id in answers and step.kind not in (Kind.LANGUAGE, Kind.CONSENT)
    ]


class Casework:
    """The case use-cases, bound to the store, the bot's way to reach a person, and the clock."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        catalogs: Catalogs,
        clock: Clock,
        notify: Notify,
        ask_again: AskAgain,
        *,
        office: str,
        notified: frozenset[str],
        followups: Followups | None = None,
        travel: Travel | None = None,
        checklist: Checklist | None = None,
    ) -> None:
        self.store = store
        self.flow = flow
        self.catalogs = catalogs
        self.clock = clock
        self.notify = notify
        self.ask_again = ask_again
        self.office = office
        self.notified = notified  # the statuses the person is told about by default
        self.followups = followups
        self.travel = travel  # the journey home: its details, and the question before it
        # The counselling checklist and refusal reasons; none: nothing is required.
        self.checklist = checklist or Checklist("", ())

    async def change_status(
        self,
        case: cases.CaseRecord | str,
        change: StatusChange,
        actor: str,
        language: str | None = None,
        role: Role | None = None,
    ) -> cases.CaseRecord:
        """Move a case, plan its check-ins, then tell the person and ask them again.

        `case` is a reference (the case as it is now) or a record (the case as the caller
        saw it: StatusChanged if it moved since). Accepted into a full project, the case
        goes on the project's waiting list instead; the record returned has the status taken. Raises NoSuchCase, TransitionRefused or
        StatusChanged with nothing done. `language` is the actor's, for the note recorded
        when the questions cannot be sent; `role` the actor's, for an override of the
        counselling checklist.
        """
        note = change.note[:NOTE_LIMIT]
        refusal: status.TransitionRefused | cases.StatusChanged | None = None
        target = change.target
        async with self.store.unit() as unit:
            found = await self._case(unit, case)
            editable = {step.id for step in correctable(self.flow, found.answers)}
            ticked = [step for step in change.ask if step in editable]
            asked = ticked if change.target == Status.NEEDS_INFO else []
            decision = decisions.Decision(
                change.target, note, change.reason, change.override, change.duplicate_of
            )
            try:
                status.check(found.status, change.target, note, change.return_date,
                             duplicate_of=change.duplicate_of)  # fmt: skip
                if change.target == Status.NEEDS_INFO and not asked:
                    reason = N_("Tick the answers the person must give again.")
                    raise status.TransitionRefused(reason, "ask")
                other = await decisions.check(unit, self.checklist, found, decision, role)
                if self.travel is not None:
                    await self.travel.check(unit, found, change.target)
                placed = await decisions.place(
                    unit, found, change.target, change.project, self.clock().date(),
                    admitted=change.admitted,
                )  # fmt: skip
                target = placed.target  # accepted into a full project: its waiting list
                await cases.change_status(
                    unit, found, target, actor, note, change.return_date, self.clock()
                )
                unit.touch(found.id)
                if placed.project_id is not None:
                    waits = target == Status.WAITLISTED and found.status != Status.WAITLISTED
                    await projects.join(
                        unit, found.id, placed.project_id, waits, actor, self.clock()
                    )
                await decisions.record(
                    unit, self.checklist, found, decision, other, actor, self.clock()
                )
                if self.travel is not None:
                    await self.travel.status_changed(unit, found.id, target, actor, self.clock())
                if target in status.CLOSED:  # nobody is expected at the office now
                    await appointment_rows.cancel_open(unit, found.id, self.clock())
                if self.followups is not None:
                    await schedule_case(unit, found.id, self.followups, self.clock())
            except (status.TransitionRefused, cases.StatusChanged) as error:
                refusal = error
        if refusal is not None:  # raised once the transaction above is over
            raise refusal
        tell = target in self.notified if change.tell is None else change.tell
        told = status.parse(target)
        if tell and told is not None and told in status.PERSON_MESSAGES:
            message = status.PERSON_MESSAGES[told]
            await self._tell(found, message, actor, translate=True)
        if asked and not await self.ask_again(found.id, asked):
            tr = self.catalogs.translator(language)
            body = tr.gettext(
                "The questions could not be sent: the person is in the middle of another "
                "conversation with the bot, or has blocked it."
            )
            async with self.store.unit() as unit:
                await notes.add(unit, found.id, actor, body, self.clock())
        return replace(found, status=target)

    async def change_return(
        self, reference: str, return_date: date | None, zone: str | None, actor: str
    ) -> cases.CaseRecord:
        """A returned case's date of return or time zone: its check-ins move with them."""
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            if (
                found.status != Status.RETURNED
                or return_date is None
                or return_date > self.clock().date()
            ):
                reason = N_("Give the date of return: a past date, for a returned case.")
                raise Refused(reason, "return_date")
            if zone is not None and not valid_zone(zone):
                raise Refused(N_("Unknown time zone."), "time_zone")
            now = self.clock()
            await checkins.set_return(unit, found.id, return_date, zone, now)
            await audit.record(unit, "case.return_changed", now, actor=actor,
                             pre_registration_id=found.id)  # fmt: skip
            if self.followups is not None:
                await schedule_case(unit, found.id, self.followups, now)
        return found

    async def add_note(self, reference: str, body: str, actor: str) -> None:
        """A note on the case for the office; an empty one is ignored."""
        body = body.strip()[:NOTE_LIMIT]
        if not body:
            return
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            now = self.clock()
            await notes.add(unit, found.id, actor, body, now)
            await audit.record(unit, "case.note_added", now, actor=actor,
                             pre_registration_id=found.id)  # fmt: skip

    async def send_message(self, reference: str, body: str, actor: str) -> cases.CaseRecord:
        """A caseworker's own words to the person, through the bot; an empty one is not sent."""
        body = body.strip()[:MESSAGE_LIMIT]
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
        if body:
            await self._tell(found, body, actor, translate=False)
        return found

    async def send_text(
        self, case: cases.CaseRecord, text: str, actor: str, **details: Any
    ) -> None:
        """Words prepared for this person (a template filled in their language), sent as the
        team's like a caseworker's own; `details` (ids, names, never personal data) go to
        the audit."""
        await self._tell(case, text[:MESSAGE_LIMIT], actor, translate=False, **details)

    async def link(self, reference: str, other_reference: str, actor: str) -> cases.CaseRecord:
        """Link a case and another as the same person."""
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            other = await cases.by_reference(unit, other_reference)
            if other is None or other.id == found.id:
                raise Refused(N_("No such other case."), "other")
            await twins.link(unit, found, other, actor, self.clock())
        return found

    async def assign(self, reference: str, account_id: int | None, actor: str) -> cases.CaseRecord:
        """Give the case to an active caseworker or supervisor, or to nobody (None)."""
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            if account_id is not None:
                account = await accounts.by_id(unit, account_id)
                if account is None or not account.active or account.role not in _ASSIGNABLE:
                    raise Refused(N_("This account cannot be given cases."))
            await assignment.assign(unit, found.id, account_id, actor, self.clock())
        return found

    async def _case(self, unit: Unit, case: cases.CaseRecord | str) -> cases.CaseRecord:
        if not isinstance(case, str):
            return case
        found = await cases.by_reference(unit, case)
        if found is None:
            raise NoSuchCase(case)
        return found

    async def _tell(
        self, case: cases.CaseRecord, text: str, actor: str, *, translate: bool, **details: Any
    ) -> None:
        """Send through the bot (outside any transaction), then record what happened."""
        async with self.store.unit() as unit:
            person = await cases.recipient(unit, case.id)
        if person is None:
            return
        telegram_id, language = person
        tr = self.catalogs.translator(language)
        if translate:
            text = tr.gettext(text, reference=case.reference, office=self.office)
            sent = text
        else:  # a caseworker's own words: said to be theirs, so no one takes them for the bot's
            header = tr.gettext("Message from the {office} team:", office=self.office)
            sent = f"{header}\n\n{text}"
        delivered = await self.notify(telegram_id, sent)
        async with self.store.unit() as unit:
            now = self.clock()
            await messages.add(unit, case.id, "out", actor, text, delivered, now)
            await audit.record(
                unit,
                "case.message_sent",
                now,
                actor=actor,
                pre_registration_id=case.id,
                delivered=delivered,
                **details,
            )
