"""The case page's travel section, through the real ASGI app: the form saves, refuses with
the reason and what was typed, and shows the question before the flight."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from bot.app import Runtime
from bot.store.models import Account, AuditEvent, TravelPlan
from tests.helpers import Clock, add_account, browser, sign_in, table_rows, token
from tests.travel_helpers import accepted_case, booked_case

FORM = {
    "document_type": "laissez_passer",
    "document_requested_on": "2026-11-02",
    "document_received_on": "",
    "consulate": "Consulat du Sénégal",
    "flight_date": "2026-12-05",
    "flight_time": "14:30",
    "carrier": "Royal Air Maroc",
    "flight_number": "AT 571",
    "airport": "Casablanca Mohammed V",
    "escort_needed": "yes",
    "escort": "",
}


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        await add_account(bot)
        await sign_in(client)
        yield client


async def post_travel(client: httpx.AsyncClient, reference: str, **data: str) -> httpx.Response:
    page = await client.get(f"/cases/{reference}")
    return await client.post(f"/cases/{reference}/travel", data={"csrf_token": token(page), **data})


async def test_the_journey_is_saved_from_the_case_page_and_shown_again(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8101)
    page = await client.get(f"/cases/{case.reference}")
    assert 'action="/cases/' + case.reference + '/travel"' in page.text
    response = await post_travel(client, case.reference, **FORM)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case.reference}?saved=travel#travel"
    [plan] = await table_rows(bot, TravelPlan)
    assert plan["flight_number"] == "AT571" and plan["escort_needed"] is True
    assert plan["updated_by"] == "amina"
    page = html.unescape((await client.get(f"/cases/{case.reference}")).text)
    assert 'value="2026-12-05"' in page and 'value="14:30"' in page
    assert 'value="Consulat du Sénégal"' in page and 'value="AT571"' in page
    assert '<option value="laissez_passer" selected>' in page
    assert 'name="escort_needed" value="yes" checked' in page
    actions = [e["action"] for e in await table_rows(bot, AuditEvent)]
    assert "case.travel_changed" in actions


async def test_a_refused_form_says_why_and_keeps_what_was_typed(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8102)
    typed = {**FORM, "flight_number": "Royal Air Maroc", "consulate": "Consulat à Casablanca"}
    response = await post_travel(client, case.reference, **typed)
    assert response.status_code == 400
    page = html.unescape(response.text)
    assert 'class="error" role="alert">Write the flight number as on the ticket' in page
    assert 'value="Royal Air Maroc"' in page and 'value="Consulat à Casablanca"' in page
    assert 'value="2026-12-05"' in page and 'name="escort_needed" value="yes" checked' in page
    assert await table_rows(bot, TravelPlan) == []


async def test_a_refusal_is_given_in_the_caseworkers_language(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8103)
    async with bot.store.unit() as unit:
        await unit.connection.execute(update(Account.__table__).values(language="fr"))
    response = await post_travel(client, case.reference, flight_date="2026-12-05")
    assert response.status_code == 400
    assert "Indiquez ensemble la date et l'heure du vol." in html.unescape(response.text)


async def test_the_travel_form_wants_its_csrf_token(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8104)
    response = await client.post(f"/cases/{case.reference}/travel", data=FORM)
    assert response.status_code == 403
    assert await table_rows(bot, TravelPlan) == []


async def test_an_unknown_case_is_not_found(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    response = await client.post(
        "/cases/AVR-2026-99999/travel", data={"csrf_token": token(page), **FORM}
    )
    assert response.status_code == 404


async def test_a_booked_case_shows_when_the_person_will_be_asked_and_what_they_answered(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await booked_case(bot, clock, 8105)
    page = html.unescape((await client.get(f"/cases/{case.reference}")).text)
    assert "Reconfirmation before the flight" in page
    assert "To be asked" in page and "2026-12-02 14:30" in page  # local: 72 hours before
    clock.now = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
    assert bot.departures is not None
    await bot.departures.run_once()
    await sign_in(client)  # days later
    page = html.unescape((await client.get(f"/cases/{case.reference}")).text)
    assert "Asked, waiting for an answer" in page


async def test_a_case_not_accepted_has_no_travel_form(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8106)
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(TravelPlan.metadata.tables["pre_registrations"]).values(status="in_review")
        )
    page = await client.get(f"/cases/{case.reference}")
    assert "/travel" not in page.text
    response = await post_travel(client, case.reference, **FORM)
    assert response.status_code == 400
    assert "The journey is prepared once the case is accepted" in html.unescape(response.text)


async def test_a_departed_case_shows_its_journey_and_departure_date_without_a_form(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await booked_case(bot, clock, 8107)
    page = await client.get(f"/cases/{case.reference}")
    response = await client.post(
        f"/cases/{case.reference}/status",
        data={"csrf_token": token(page), "status": "departed", "notify": "no"},
    )
    assert response.status_code == 303
    page = html.unescape((await client.get(f"/cases/{case.reference}")).text)
    assert "Departed on November 27, 2026" in page
    assert "AT571" in page and f"/cases/{case.reference}/travel" not in page
