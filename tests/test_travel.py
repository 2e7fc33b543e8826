"""Preparing the journey: the statuses between accepted and departed, and the travel
details a caseworker keeps on the case, checked and audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from bot.app import Runtime
from bot.casework import StatusChange
from bot.status import TransitionRefused
from bot.store import audit, cases
from bot.store import travel as plans
from bot.travel import TravelForm, TravelRefused
from tests.helpers import Clock
from tests.travel_helpers import FLIGHT, Reach, accepted_case, booked_case, casework, travel_of

PERSON = 7301


async def status_of(bot: Runtime, reference: str) -> str:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found.status


async def trail(bot: Runtime, case_id: int) -> list[audit.AuditEntry]:
    async with bot.store.unit() as unit:
        return await audit.trail(unit, case_id)


async def test_a_case_goes_from_accepted_to_departed_through_the_travel_steps_told_in_french(
    bot: Runtime, clock: Clock
) -> None:
    reach = Reach()
    work = casework(bot, clock, reach)
    case = await accepted_case(bot, clock, PERSON)
    await work.change_status(case.reference, StatusChange("doc_requested"), "amina")
    await work.change_status(case.reference, StatusChange("doc_received"), "amina")
    await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    await work.change_status(case.reference, StatusChange("travel_booked"), "amina")
    assert await status_of(bot, case.reference) == "travel_booked"
    told = [text for _, text in reach.sent]
    assert len(told) == 3 and all(case.reference in text for text in told)
    assert "consulat" in told[0] and "est arrivé" in told[1] and "réservé" in told[2]
    clock.advance(days=8)
    await work.change_status(case.reference, StatusChange("departed"), "amina")
    async with bot.store.unit() as unit:
        plan = await plans.of_case(unit, case.id)
    assert plan is not None and plan.departed_at == clock()


async def test_a_person_with_a_passport_goes_from_accepted_straight_to_booked(
    bot: Runtime, clock: Clock
) -> None:
    work = casework(bot, clock, Reach())
    case = await accepted_case(bot, clock, PERSON)
    passport = replace(FLIGHT, document_type="passport", document_requested_on="",
                       document_received_on="", consulate="")  # fmt: skip
    await travel_of(bot, clock).save(case.reference, passport, "amina")
    await work.change_status(case.reference, StatusChange("travel_booked"), "amina")
    assert await status_of(bot, case.reference) == "travel_booked"


async def test_a_flight_already_past_cannot_be_marked_booked(bot: Runtime, clock: Clock) -> None:
    work = casework(bot, clock, Reach())
    case = await accepted_case(bot, clock, PERSON)
    await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    clock.advance(days=30)  # the flight left without the case being marked booked
    with pytest.raises(TransitionRefused) as refused:
        await work.change_status(case.reference, StatusChange("travel_booked"), "amina")
    assert refused.value.reason.startswith("The flight's date and time are past")
    assert await status_of(bot, case.reference) == "accepted"


@pytest.mark.parametrize("at", ["accepted", "doc_requested", "doc_received", "travel_booked"])
async def test_the_person_may_withdraw_at_every_travel_step(
    bot: Runtime, clock: Clock, at: str
) -> None:
    work = casework(bot, clock, Reach())
    case = await accepted_case(bot, clock, PERSON)
    await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    path = {"accepted": [], "doc_requested": ["doc_requested"],
            "doc_received": ["doc_requested", "doc_received"], "travel_booked": ["travel_booked"]}  # fmt: skip
    for step in path[at]:
        await work.change_status(case.reference, StatusChange(step, tell=False), "amina")
    withdrawal = StatusChange("withdrawn", note="Wants to stay for now", tell=False)
    await work.change_status(case.reference, withdrawal, "amina")
    assert await status_of(bot, case.reference) == "withdrawn"


@pytest.mark.parametrize(
    ("current", "target"),
    [("accepted", "departed"), ("doc_requested", "travel_booked"), ("doc_received", "departed")],
)
async def test_travel_steps_are_not_skipped(
    bot: Runtime, clock: Clock, current: str, target: str
) -> None:
    work = casework(bot, clock, Reach())
    case = await accepted_case(bot, clock, PERSON)
    await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    for step in {"accepted": [], "doc_requested": ["doc_requested"],
                 "doc_received": ["doc_requested", "doc_received"]}[current]:  # fmt: skip
        await work.change_status(case.reference, StatusChange(step, tell=False), "amina")
    with pytest.raises(TransitionRefused):
        await work.change_status(case.reference, StatusChange(target, tell=False), "amina")
    assert await status_of(bot, case.reference) == current


async def test_a_booking_needs_the_flights_date_and_time(bot: Runtime, clock: Clock) -> None:
    work = casework(bot, clock, Reach())
    case = await accepted_case(bot, clock, PERSON)
    no_flight = replace(FLIGHT, flight_date="", flight_time="")
    await travel_of(bot, clock).save(case.reference, no_flight, "amina")
    with pytest.raises(TransitionRefused) as refused:
        await work.change_status(case.reference, StatusChange("travel_booked"), "amina")
    assert refused.value.reason == (
        "Give the flight's date and time before marking the travel booked."
    )
    assert await status_of(bot, case.reference) == "accepted"


async def test_travel_details_are_kept_tidied_and_audited_by_the_names_of_what_changed(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, PERSON)
    travel = travel_of(bot, clock)
    await travel.save(
        case.reference, replace(FLIGHT, escort="  Croix-Rouge   Casablanca "), "amina"
    )
    plan = await travel.of_case(case.id)
    assert plan is not None and plan.updated_by == "amina"
    details = plan.details
    assert details.document_type == "laissez_passer"
    assert details.document_received_on == date(2026, 11, 20)
    assert (details.flight_date, details.flight_time) == (date(2026, 12, 5), time(14, 30))
    assert details.flight_number == "AT571"
    assert details.escort == "Croix-Rouge Casablanca" and details.escort_needed
    await travel.save(case.reference, replace(FLIGHT, carrier="Air Sénégal"), "yann")
    changes = [e for e in await trail(bot, case.id) if e.action == "case.travel_changed"]
    assert [e.actor for e in changes] == ["amina", "yann"]
    assert changes[1].details == {"fields": ["carrier", "escort_needed", "escort"]}
    assert "Air Sénégal" not in str([e.details for e in changes])  # names, never values


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        (TravelForm(document_type="visa"), "Choose the type of travel document from the list."),
        (TravelForm(document_requested_on="02/11/2026"),
         "Write dates as a calendar does, for example 2026-12-24."),
        (TravelForm(document_requested_on="2026-11-28"),
         "The document cannot have been requested in the future."),
        (TravelForm(document_received_on="2026-12-01"),
         "The document cannot have been received in the future."),
        (TravelForm(document_requested_on="2026-11-10", document_received_on="2026-11-02"),
         "The document cannot be received before it was requested."),
        (TravelForm(flight_date="2026-12-05"), "Give the flight's date and its time together."),
        (TravelForm(flight_time="14:30"), "Give the flight's date and its time together."),
        (TravelForm(flight_date="2026-12-05", flight_time="2pm"),
         "Write the flight's time in hours and minutes, for example 14:30."),
        (TravelForm(flight_date="2026-11-27", flight_time="09:00"),
         "The flight cannot leave in the past."),
        (TravelForm(flight_number="Royal Air Maroc"),
         "Write the flight number as on the ticket, for example AT571."),
        (TravelForm(consulate="C" * 101), "The consulate's name is too long: at most 100 characters."),
        (TravelForm(carrier="C" * 61), "The airline's name is too long: at most 60 characters."),
        (TravelForm(airport="A" * 61), "The airport's name is too long: at most 60 characters."),
        (TravelForm(escort="E" * 101), "The escort's details are too long: at most 100 characters."),
    ],
)  # fmt: skip
async def test_wrong_travel_details_are_refused_with_a_reason_and_nothing_saved(
    bot: Runtime, clock: Clock, form: TravelForm, reason: str
) -> None:
    case = await accepted_case(bot, clock, PERSON)
    travel = travel_of(bot, clock)
    with pytest.raises(TravelRefused) as refused:
        await travel.save(case.reference, form, "amina")
    assert refused.value.reason == reason
    assert bot.catalogs.translator("fr").gettext(reason) != reason
    assert await travel.of_case(case.id) is None
    assert not [e for e in await trail(bot, case.id) if e.action == "case.travel_changed"]


async def test_a_flight_already_gone_may_stay_while_other_details_change(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, PERSON)
    travel = travel_of(bot, clock)
    await travel.save(case.reference, FLIGHT, "amina")
    clock.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # the flight left yesterday
    await travel.save(case.reference, replace(FLIGHT, escort="OIM"), "amina")
    plan = await travel.of_case(case.id)
    assert plan is not None and plan.details.escort == "OIM"


async def test_a_booked_journey_keeps_its_flight(bot: Runtime, clock: Clock) -> None:
    case = await booked_case(bot, clock, PERSON)
    with pytest.raises(TravelRefused) as refused:
        await travel_of(bot, clock).save(case.reference, TravelForm(), "amina")
    assert refused.value.reason == "A booked journey keeps its flight's date and time."


@pytest.mark.parametrize("at", ["submitted", "departed"])
async def test_the_journey_is_prepared_only_between_acceptance_and_departure(
    bot: Runtime, clock: Clock, at: str
) -> None:
    if at == "submitted":
        case = await accepted_case(bot, clock, PERSON)
        async with bot.store.unit() as unit:
            await unit.connection.execute(
                cases.pre_registrations.update().values(status="submitted")
            )
    else:
        case = await booked_case(bot, clock, PERSON)
        await casework(bot, clock, Reach()).change_status(
            case.reference, StatusChange("departed", tell=False), "amina"
        )
    with pytest.raises(TravelRefused) as refused:
        await travel_of(bot, clock).save(case.reference, FLIGHT, "amina")
    assert "once the case is accepted" in refused.value.reason
