"""Appointments at the office: booked by a caseworker, kept by the person through the bot.

The invitation, the reminder the day before and the times offered to someone who cannot
come are outbox rows written in the transaction that decides them; the reminder is a due
time on the appointment's row, taken once by the periodic sweep (`remind_due`). The
person's buttons carry the appointment's id and revision ("a|<id>|<revision>|<action>"):
a tap on an older message, on someone else's, or on made-up data changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot import flags
from bot.engine.flow import N_
from bot.i18n import Catalogs, Translator
from bot.office_hours import Hours
from bot.replies import User
from bot.service import came_back
from bot.status import CLOSED
from bot.store import Store, Unit, audit, cases, inbox, messages, notes, outbox
from bot.store import appointments as rows
from bot.store.appointments import AppointmentRecord, Invitee

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Flush = Callable[[int], Awaitable[object]]  # sends a chat's waiting messages

KINDS = {"interview": N_("Interview"), "counselling": N_("Counselling")}
# What the person brings, by kind (the invitation's "Please bring").
BRING = {
    "interview": N_(
        "any identity document you have (passport, even expired, national ID or consular "
        "card) and your reference number {reference}"
    ),
    "counselling": N_("your reference number {reference} and any question you have"),
}
STATUS_LABELS = {
    rows.BOOKED: N_("Invited"),
    rows.CONFIRMED: N_("Will come"),
    rows.CANNOT: N_("Cannot come: choosing another time"),
    rows.MORE: N_("Cannot come: asks for other times"),
    rows.CAME: N_("Came"),
    rows.NO_SHOW: N_("Did not come"),
    rows.RESCHEDULED: N_("Rescheduled"),
    rows.CANCELLED: N_("Cancelled: the case was closed"),
}
OUTCOMES = (rows.CAME, rows.NO_SHOW, rows.RESCHEDULED)
PROPOSALS = 3  # times offered to someone who cannot come
LOOK_AHEAD = timedelta(days=60)  # how far the free times are looked for
MISSED_LIMIT = 2  # no-shows that flag the case
DAY_HOURS = (8, 21)  # a reminder is sent between these local hours only
BATCH = 100

_DATA = re.compile(r"a\|(\d{1,9})\|(\d{1,5})\|(yes|no|more|s[0-2])")


class AppointmentRefused(Exception):
    """A booking or outcome the case or the slot does not allow; `reason` is a
    translatable text, formatted with `params`."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params

    def text(self, tr: Translator) -> str:
        return tr.gettext(self.reason, **self.params)


class NoSuchCase(LookupError):
    """No case has this reference."""


@dataclass(frozen=True)
class ButtonData:
    """What an appointment button says: which appointment, at which revision, and what."""

    appointment: int
    revision: int
    action: str  # yes, no, more, s0..s2 (one of the proposed times)


def button(appointment: int, revision: int, action: str) -> str:
    return f"a|{appointment}|{revision}|{action}"


def parse(data: str) -> ButtonData | None:
    """An appointment button's meaning, or None for anything this bot never sends."""
    if m := _DATA.fullmatch(data):
        return ButtonData(int(m[1]), int(m[2]), m[3])
    return None


@dataclass(frozen=True)
class Tapped:
    """What a tap did: `kept` an answer (and marked its update handled), and the toast
    over the button, if any."""

    kept: bool
    toast: str | None = None


class Appointments:
    """The appointment use-cases, bound to the store, the catalogs, the office and the clock."""

    def __init__(
        self,
        store: Store,
        catalogs: Catalogs,
        clock: Clock,
        hours: Hours,
        *,
        office: str,
        address: str = "",
        flush: Flush | None = None,
    ) -> None:
        self.store = store
        self.catalogs = catalogs
        self.clock = clock
        self.hours = hours
        self.office = office
        self.address = address
        self.flush = flush  # sends what was just decided; the outbox's job would, later

    # The dashboard

    async def book(
        self, reference: str, kind: str, day: date | None, hour: int | None, actor: str
    ) -> AppointmentRecord:
        """Book an appointment and invite the person. Raises NoSuchCase or
        AppointmentRefused with nothing done."""
        if kind not in KINDS:
            raise AppointmentRefused(N_("Choose the kind of appointment."))
        if day is None or hour is None:
            raise AppointmentRefused(N_("Give the date and the hour of the appointment."))
        if not self.hours.open_at(day, hour):
            raise AppointmentRefused(N_("The office does not see people on that day at that hour."))
        starts_at = self.hours.at(day, hour)
        async with self.store.unit() as unit:
            now = self.clock()
            case = await self._case(unit, reference)
            if case.status in CLOSED:
                raise AppointmentRefused(N_("This case is closed: no appointment can be booked."))
            if starts_at <= now:
                raise AppointmentRefused(N_("Choose a time still to come."))
            await rows.lock_slot(unit, starts_at)
            held = await rows.taken(unit, starts_at, starts_at + timedelta(seconds=1))
            if held.get(starts_at, 0) >= self.hours.limit:
                raise AppointmentRefused(
                    N_("This slot is full ({limit} appointments): choose another hour."),
                    limit=self.hours.limit,
                )
            replaced = await rows.close_open(unit, case.id, now)
            remind_at = self._remind_at(starts_at, now)
            booked = await rows.add(
                unit, case.id, kind, starts_at, rows.BOOKED, remind_at, actor, now
            )
            await rows.remove_flag(unit, case.id, flags.MORE_TIMES)
            found = await rows.with_invitee(unit, booked.id)
            assert found is not None
            invitee = found[1]
            await self._queue(unit, invitee, [self._invitation(booked, invitee)], now)
            await audit.record(
                unit, "appointment.booked", now, actor=actor, pre_registration_id=case.id,
                appointment=booked.id, kind=kind, replaced=replaced,
            )  # fmt: skip
        await self._send(invitee.telegram_id)
        return booked

    async def record_outcome(
        self, reference: str, appointment_id: int, outcome: str, actor: str
    ) -> AppointmentRecord:
        """Came, did not come, or rescheduled; two no-shows flag the case."""
        if outcome not in OUTCOMES:
            raise AppointmentRefused(N_("Choose what happened."))
        async with self.store.unit() as unit:
            now = self.clock()
            case = await self._case(unit, reference)
            found = await rows.with_invitee(unit, appointment_id)
            if found is None or found[0].pre_registration_id != case.id:
                raise AppointmentRefused(N_("No such appointment on this case."))
            record = found[0]
            if record.status not in rows.OPEN:
                raise AppointmentRefused(N_("This appointment's outcome is already recorded."))
            if outcome != rows.RESCHEDULED and record.starts_at > now:
                raise AppointmentRefused(N_("This appointment has not taken place yet."))
            if not await rows.move(unit, record.id, record.revision, now, status=outcome):
                raise AppointmentRefused(N_("Someone changed this appointment meanwhile."))
            missed = await rows.count(unit, case.id, rows.NO_SHOW)
            if outcome == rows.NO_SHOW and missed >= MISSED_LIMIT:
                await cases.add_flag(unit, case.id, flags.MISSED)
            await audit.record(
                unit, "appointment.outcome", now, actor=actor, pre_registration_id=case.id,
                appointment=record.id, outcome=outcome, missed=missed,
            )  # fmt: skip
        return record

    # The person's buttons

    async def tap(self, user: User, data: ButtonData) -> Tapped:
        """A tap on an appointment button: the person's answer, kept with what they are
        told and the mark that the update is handled. A tap that changes nothing says
        why in a toast, or nothing at all when the appointment is not theirs."""
        async with self.store.unit() as unit:
            now = self.clock()
            found = await rows.with_invitee(unit, data.appointment)
            if found is None or found[1].telegram_id != user.telegram_id:
                log.warning("ignored an appointment button not of this person")
                return Tapped(kept=False)
            record, invitee = found
            tr = self.catalogs.translator(invitee.language)
            if record.revision != data.revision or not await self._answer(
                unit, record, invitee, data.action, user, now
            ):
                return Tapped(False, tr.gettext("This message is out of date: see the latest one."))
            if user.update_id is not None:
                await inbox.done(unit, user.update_id, now)
            await came_back(unit, user.telegram_id, now)  # writing means back
        return Tapped(kept=True)

    async def _answer(
        self,
        unit: Unit,
        record: AppointmentRecord,
        invitee: Invitee,
        action: str,
        user: User,
        now: datetime,
    ) -> bool:
        """Apply one answer; False when the appointment does not take it now."""
        tr = self.catalogs.translator(invitee.language)
        letters: list[outbox.Message] = []
        if user.tap is not None and user.tap.has_buttons:  # the tapped message's buttons go
            letters.append(outbox.Message(invitee.telegram_id, None, None, user.tap.message_id))
        case_id = record.pre_registration_id
        if action == "yes" and record.status in rows.AWAITED:
            if not await rows.move(unit, record.id, record.revision, now, status=rows.CONFIRMED):
                return False
            text = tr.gettext("Thank you. We expect you on {when}.", when=self._when(tr, record))
            letters.append(outbox.Message(invitee.telegram_id, text))
            event: dict[str, Any] = {"answer": "will_come"}
        elif action == "no" and record.status in rows.AWAITED:
            proposals = await self._free(unit, now)
            stored = [p.isoformat() for p in proposals]
            moved = await rows.move(
                unit, record.id, record.revision, now, status=rows.CANNOT, proposals=stored
            )
            if not moved:
                return False
            intro = tr.gettext("No problem. Choose another time:")
            letters.append(
                self._offer(tr, record.id, record.revision + 1, proposals, invitee, intro)
            )
            event = {"answer": "cannot_come", "proposed": len(proposals)}
        elif action.startswith("s") and record.status == rows.CANNOT:
            index = int(action[1:])
            if index >= len(record.proposals):
                return False
            starts_at = datetime.fromisoformat(record.proposals[index])
            await rows.lock_slot(unit, starts_at)
            held = await rows.taken(unit, starts_at, starts_at + timedelta(seconds=1))
            if held.get(starts_at, 0) >= self.hours.limit or starts_at <= now:
                proposals = await self._free(unit, now)
                stored = [p.isoformat() for p in proposals]
                if not await rows.move(unit, record.id, record.revision, now, proposals=stored):
                    return False
                intro = tr.gettext("This time was just taken. Choose another one:")
                letters.append(
                    self._offer(tr, record.id, record.revision + 1, proposals, invitee, intro)
                )
                event = {"answer": "slot_taken", "proposed": len(proposals)}
            else:
                if not await rows.move(
                    unit, record.id, record.revision, now, status=rows.RESCHEDULED
                ):
                    return False
                new = await rows.add(
                    unit, case_id, record.kind, starts_at, rows.CONFIRMED,
                    self._remind_at(starts_at, now), "bot", now,
                )  # fmt: skip
                text = tr.gettext("Your new appointment is booked.")
                letters.append(self._invitation(new, invitee, lead=text, ask=False))
                event = {"answer": "rescheduled", "new_appointment": new.id}
        elif action == "more" and record.status == rows.CANNOT:
            if not await rows.move(unit, record.id, record.revision, now, status=rows.MORE):
                return False
            await cases.add_flag(unit, case_id, flags.MORE_TIMES)
            staff = self.catalogs.translator(self.catalogs.default)
            body = staff.gettext(
                "The person cannot come to the appointment on {when} and asks for other times.",
                when=self._when(staff, record),
            )
            await messages.add(unit, case_id, "in", None, body, True, now)
            await notes.add(unit, case_id, "bot", body, now)
            text = tr.gettext(
                "We have asked the office to propose other times. We will write to you."
            )
            letters.append(outbox.Message(invitee.telegram_id, text))
            event = {"answer": "more_times"}
        else:
            return False
        await self._queue(unit, invitee, letters, now)
        await audit.record(
            unit, "appointment.answered", now, pre_registration_id=case_id,
            appointment=record.id, **event,
        )  # fmt: skip
        return True

    # The sweep

    async def remind_due(self) -> int:
        """Send the reminders whose time came, each once: the row is marked and the
        message kept in one transaction. How many were sent."""
        now = self.clock()
        async with self.store.unit() as unit:
            due = await rows.due_reminders(unit, now, BATCH)
        sent: set[int] = set()
        for record, invitee in due:
            async with self.store.unit() as unit:
                now = self.clock()
                local = self.hours.local(now)
                if record.starts_at > now and not DAY_HOURS[0] <= local.hour < DAY_HOURS[1]:
                    # Night in the office's country: the morning, if still before it.
                    morning = datetime.combine(
                        local.date() + timedelta(days=local.hour >= DAY_HOURS[1]),
                        time(DAY_HOURS[0]),
                        self.hours.zone,
                    )
                    await rows.postpone_reminder(unit, record.id, morning.astimezone(UTC), now)
                    continue
                if not await rows.mark_reminded(unit, record.id, now):
                    continue  # another sweep took it
                if record.starts_at <= now:  # too late to remind: it goes unsent
                    await audit.record(unit, "appointment.reminder_skipped", now,
                                       pre_registration_id=record.pre_registration_id,
                                       appointment=record.id)  # fmt: skip
                    continue
                tr = self.catalogs.translator(invitee.language)
                lead = tr.gettext("Reminder: your appointment is tomorrow.")
                letter = self._invitation(record, invitee, lead=lead)
                await self._queue(unit, invitee, [letter], now)
                await audit.record(
                    unit, "appointment.reminded", now,
                    pre_registration_id=record.pre_registration_id, appointment=record.id,
                )  # fmt: skip
                sent.add(invitee.telegram_id)
        for chat in sent:
            await self._send(chat)
        return len(sent)

    async def job(self, context: Any = None) -> None:
        """The scheduler's entry point."""
        sent = await self.remind_due()
        if sent:
            log.info("appointments: %d reminders sent", sent)

    # Words

    def _when(self, tr: Translator, record: AppointmentRecord) -> str:
        return self._at(tr, record.starts_at)

    def _at(self, tr: Translator, moment: datetime) -> str:
        local = self.hours.local(moment)
        return tr.gettext(
            "{date} at {time}", date=tr.date(local.date()), time=local.strftime("%H:%M")
        )

    def _invitation(
        self, record: AppointmentRecord, invitee: Invitee, *, lead: str = "", ask: bool = True
    ) -> outbox.Message:
        """The invitation (or the reminder, or the confirmation of a new time): when,
        where, what to bring; with "I will come" / "I cannot come" when `ask`."""
        tr = self.catalogs.translator(invitee.language)
        city = self.hours.zone.key.rsplit("/", 1)[-1].replace("_", " ")
        lines = [lead] if lead else []
        lines.append(
            tr.gettext(
                "{office} invites you to an appointment at the office: {kind}.",
                office=self.office,
                kind=tr.gettext(KINDS[record.kind]).lower(),
            )
        )
        lines.append(
            tr.gettext("When: {when} ({city} time).", when=self._when(tr, record), city=city)
        )
        if self.address:
            lines.append(tr.gettext("Where: {address}.", address=self.address))
        bring = tr.gettext(BRING[record.kind], reference=invitee.reference)
        lines.append(tr.gettext("Please bring: {bring}.", bring=bring))
        lines.append(tr.gettext("This service is free: nobody may ask you for money."))
        markup = None
        if ask:
            lines.append(tr.gettext("Will you come?"))
            markup = _keyboard(
                [
                    (tr.gettext("I will come"), button(record.id, record.revision, "yes")),
                    (tr.gettext("I cannot come"), button(record.id, record.revision, "no")),
                ]
            )
        return outbox.Message(invitee.telegram_id, "\n\n".join(lines), markup)

    def _offer(
        self,
        tr: Translator,
        appointment_id: int,
        revision: int,
        proposals: list[datetime],
        invitee: Invitee,
        intro: str,
    ) -> outbox.Message:
        """The free times to choose from, and asking the office for others."""
        pairs = [
            (self._at(tr, p), button(appointment_id, revision, f"s{i}"))
            for i, p in enumerate(proposals)
        ]
        pairs.append(
            (tr.gettext("None of these: ask the office"), button(appointment_id, revision, "more"))
        )
        text = intro if proposals else tr.gettext("No free time is near. Ask the office:")
        return outbox.Message(invitee.telegram_id, text, _keyboard(pairs))

    # Helpers

    async def _free(self, unit: Unit, now: datetime) -> list[datetime]:
        """The next free slots within office hours, from tomorrow on."""
        start = self.hours.at(self.hours.local(now).date() + timedelta(days=1), 0)
        end = start + LOOK_AHEAD
        held = await rows.taken(unit, start, end)
        free = [s for s in self.hours.slots(start, end) if held.get(s, 0) < self.hours.limit]
        return free[:PROPOSALS]

    def _remind_at(self, starts_at: datetime, now: datetime) -> datetime | None:
        """The reminder's time, or None when it would come after the invitation anyway."""
        at = self.hours.reminder(starts_at)
        return at if at > now else None

    async def _queue(
        self, unit: Unit, invitee: Invitee, letters: list[outbox.Message], now: datetime
    ) -> None:
        await outbox.add(unit, letters, now)

    async def _send(self, chat_id: int) -> None:
        if self.flush is not None:
            await self.flush(chat_id)

    async def _case(self, unit: Unit, reference: str) -> cases.CaseRecord:
        found = await cases.by_reference(unit, reference)
        if found is None:
            raise NoSuchCase(reference)
        return found


def _keyboard(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Inline buttons, one a row, as the Bot API takes them."""
    return {"inline_keyboard": [[{"text": t, "callback_data": d}] for t, d in pairs]}
