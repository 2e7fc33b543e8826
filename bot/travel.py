"""Preparing a case's journey: the travel document, the flight, an escort, the departure.

Caseworkers fill the details in on the case page, in any order as they become known;
each save is checked whole and audited by the names of the fields it changed. Moving a
case to "travel booked" needs the flight's date and time; the question before the flight
is planned from them (bot/departures.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import departures, status
from bot.engine.checkins import Schedule
from bot.engine.flow import N_
from bot.status import Status
from bot.store import Store, Unit, audit, cases, reconfirmations
from bot.store import travel as plans
from bot.store.travel import TravelDetails, TravelRecord

if TYPE_CHECKING:
    from collections.abc import Callable

DOCUMENT_TYPES: dict[str, str] = {
    "laissez_passer": N_("Laissez-passer from the consulate"),
    "passport": N_("Passport"),
    "consular_card": N_("Consular card"),
    "national_id": N_("National identity card"),
    "other": N_("Other document"),
}
# The statuses in which the journey is being prepared: its details may change.
PREPARING = frozenset(
    {Status.ACCEPTED, Status.DOC_REQUESTED, Status.DOC_RECEIVED, Status.TRAVEL_BOOKED}
)
_LIMITS = {"consulate": 100, "carrier": 60, "airport": 60, "escort": 100}
_TOO_LONG = {
    "consulate": N_("The consulate's name is too long: at most 100 characters."),
    "carrier": N_("The airline's name is too long: at most 60 characters."),
    "airport": N_("The airport's name is too long: at most 60 characters."),
    "escort": N_("The escort's details are too long: at most 100 characters."),
}
_FLIGHT_NUMBER = re.compile(r"^[A-Z0-9]{2,3} ?[0-9]{1,4}[A-Z]?$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(:00)?$")


class TravelRefused(Exception):
    """Travel details that cannot be saved; `reason` is a translatable text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TravelForm:
    """The travel form as typed: every field a string, checked by `Travel.save`."""

    document_type: str = ""
    document_requested_on: str = ""
    document_received_on: str = ""
    consulate: str = ""
    flight_date: str = ""
    flight_time: str = ""
    carrier: str = ""
    flight_number: str = ""
    airport: str = ""
    escort_needed: bool = False
    escort: str = ""


class Travel:
    """The travel use-cases, bound to the store, the clock and the office's time zone."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        schedule: Schedule,
    ) -> None:
        self.store = store
        self.clock = clock
        self.zone = zone  # the office's: flights leave from the country it is in
        self.schedule = schedule  # its quiet hours: no question at night

    async def of_case(self, case_id: int) -> TravelRecord | None:
        async with self.store.unit() as unit:
            return await plans.of_case(unit, case_id)

    async def save(self, reference: str, form: TravelForm, actor: str) -> cases.CaseRecord:
        """Check and store the case's travel details; the question before the flight
        follows a new flight time. Raises TravelRefused, or LookupError for no such case."""
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise LookupError(reference)
            if found.status not in PREPARING:
                raise TravelRefused(
                    N_("The journey is prepared once the case is accepted, until departure.")
                )
            before = await plans.of_case(unit, found.id)
            now = self.clock()
            details = self._checked(form, before.details if before else None, now)
            if found.status == Status.TRAVEL_BOOKED and details.flight_time is None:
                raise TravelRefused(N_("A booked journey keeps its flight's date and time."))
            changed = await plans.save(unit, found.id, details, actor, now)
            await departures.replan(
                unit, found.id, found.status, details, now, self.zone, self.schedule
            )
            if changed:
                await audit.record(
                    unit, "case.travel_changed", now, actor=actor,
                    pre_registration_id=found.id, fields=changed,
                )  # fmt: skip
        return found

    async def check(self, unit: Unit, case: cases.CaseRecord, target: str) -> None:
        """Raise TransitionRefused if the journey is not ready for `target`."""
        if target != Status.TRAVEL_BOOKED:
            return
        plan = await plans.of_case(unit, case.id)
        flight = departures.flight_at(plan.details if plan else None, self.zone)
        if flight is None:
            raise status.TransitionRefused(
                N_("Give the flight's date and time before marking the travel booked.")
            )
        if flight <= self.clock():  # the question before it could never be asked
            raise status.TransitionRefused(
                N_("The flight's date and time are past: give the booked flight's.")
            )

    async def status_changed(
        self, unit: Unit, case_id: int, target: str, actor: str, now: datetime
    ) -> None:
        """What a new status means for the journey: the departure's date, the question."""
        if target == Status.DEPARTED:
            await plans.mark_departed(unit, case_id, actor, now)
        plan = await plans.of_case(unit, case_id)
        await departures.replan(
            unit, case_id, target, plan.details if plan else None, now, self.zone, self.schedule
        )

    async def reconfirmations(self, case_id: int) -> list[reconfirmations.ReconfirmationRecord]:
        async with self.store.unit() as unit:
            return await reconfirmations.of_case(unit, case_id)

    def _checked(
        self, form: TravelForm, before: TravelDetails | None, now: datetime
    ) -> TravelDetails:
        """The form's values, or TravelRefused with the first thing wrong."""
        today = now.astimezone(self.zone).date()
        kind = form.document_type.strip()
        if kind and kind not in DOCUMENT_TYPES:
            raise TravelRefused(N_("Choose the type of travel document from the list."))
        requested = _date(form.document_requested_on)
        received = _date(form.document_received_on)
        if requested and requested > today:
            raise TravelRefused(N_("The document cannot have been requested in the future."))
        if received and received > today:
            raise TravelRefused(N_("The document cannot have been received in the future."))
        if requested and received and received < requested:
            raise TravelRefused(N_("The document cannot be received before it was requested."))
        day, hour = _date(form.flight_date), _time(form.flight_time)
        if (day is None) != (hour is None):
            raise TravelRefused(N_("Give the flight's date and its time together."))
        texts = {name: " ".join(getattr(form, name).split()) for name in _LIMITS}
        for name, limit in _LIMITS.items():
            if len(texts[name]) > limit:
                raise TravelRefused(_TOO_LONG[name])
        number = form.flight_number.replace(" ", "").upper()
        if number and not _FLIGHT_NUMBER.match(number):
            raise TravelRefused(N_("Write the flight number as on the ticket, for example AT571."))
        details = TravelDetails(
            document_type=kind or None,
            document_requested_on=requested,
            document_received_on=received,
            consulate=texts["consulate"] or None,
            flight_date=day,
            flight_time=hour,
            carrier=texts["carrier"] or None,
            flight_number=number or None,
            airport=texts["airport"] or None,
            escort_needed=form.escort_needed or bool(texts["escort"]),
            escort=texts["escort"] or None,
        )
        flight = departures.flight_at(details, self.zone)
        moved = before is None or (before.flight_date, before.flight_time) != (day, hour)
        if flight is not None and moved and flight <= now:
            raise TravelRefused(N_("The flight cannot leave in the past."))
        return details


def _date(value: str) -> date | None:
    """A date as a date field sends it (YYYY-MM-DD); TravelRefused for anything else."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or not date(2000, 1, 1) <= parsed < date(2200, 1, 1):
        raise TravelRefused(N_("Write dates as a calendar does, for example 2026-12-24."))
    return parsed


def _time(value: str) -> time | None:
    value = value.strip()
    if not value:
        return None
    match = _TIME.match(value)
    if match is None:
        raise TravelRefused(N_("Write the flight's time in hours and minutes, for example 14:30."))
    return time(int(match[1]), int(match[2]))
