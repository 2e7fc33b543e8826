"""What the travel tests share: casework that prepares journeys, and a case at a status."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.app import Runtime
from bot.casework import Casework, StatusChange
from bot.store import Submission, cases, people
from bot.travel import Travel, TravelForm
from tests.helpers import Clock, Reach

OFFICE = ZoneInfo("Africa/Casablanca")  # UTC+1 in December 2026
TOLD = frozenset({"accepted", "needs_info", "rejected", "doc_requested", "doc_received",
                  "travel_booked"})  # fmt: skip
FLIGHT = TravelForm(
    document_type="laissez_passer",
    document_requested_on="2026-11-02",
    document_received_on="2026-11-20",
    consulate="Consulat du Sénégal, Casablanca",
    flight_date="2026-12-05",
    flight_time="14:30",
    carrier="Royal Air Maroc",
    flight_number="at 571",
    airport="Casablanca Mohammed V",
)


def travel_of(bot: Runtime, clock: Clock) -> Travel:
    return Travel(bot.store, clock, OFFICE, bot.followups.schedule)


def casework(bot: Runtime, clock: Clock, reach: Reach) -> Casework:
    return Casework(
        bot.store,
        bot.flow,
        bot.catalogs,
        clock,
        reach.notify,
        reach.ask_again,
        office="OIM Rabat",
        notified=TOLD,
        followups=bot.followups,
        travel=travel_of(bot, clock),
    )


async def accepted_case(
    bot: Runtime, clock: Clock, telegram_id: int, language: str = "fr"
) -> cases.CaseRecord:
    """A request reviewed and accepted, as the store records one."""
    values = {"full_name": "Awa Diallo", "date_of_birth": "1990-01-01", "nationality": "SN",
              "phone": f"+21260000{telegram_id:04d}", "current_city": "rabat"}  # fmt: skip
    async with bot.store.unit() as unit:
        person = await people.add(unit, telegram_id, language, clock())
        sent = await cases.submit(
            unit, person, Submission(values, {}, (), "1", "awa diallo"), "AVR", clock()
        )
        case = await cases.by_reference(unit, sent.reference)
        assert case is not None
        await cases.change_status(unit, case, "accepted", "setup", "", None, clock())
        case = await cases.by_reference(unit, sent.reference)
    assert case is not None
    return case


async def booked_case(
    bot: Runtime, clock: Clock, telegram_id: int, language: str = "fr", form: TravelForm = FLIGHT
) -> cases.CaseRecord:
    """An accepted case whose flight is booked, through the casework as the dashboard does."""
    case = await accepted_case(bot, clock, telegram_id, language)
    work = casework(bot, clock, Reach())
    await work.travel.save(case.reference, form, "amina")  # type: ignore[union-attr]
    await work.change_status(case.reference, StatusChange("travel_booked", tell=False), "amina")
    return case
