"""Appointments in the dashboard: booking from the case page, outcomes, and the day view."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot import flags
from bot.app import Runtime
from bot.store import appointments as rows
from bot.store import cases
from tests.helpers import Clock, add_account, add_case, browser, sign_in, token

PERSON = 5001


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await add_account(bot)
    async with browser(bot.web) as client:
        await sign_in(client)
        yield client


async def booked(bot: Runtime, reference: str) -> list[rows.AppointmentRecord]:
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        return await rows.of_case(unit, case.id)


async def book(
    client: httpx.AsyncClient, reference: str, day: str = "2026-11-30", hour: str = "10"
) -> httpx.Response:
    page = await client.get(f"/cases/{reference}")
    data = {"kind": "counselling", "date": day, "hour": hour, "csrf_token": token(page)}
    return await client.post(f"/cases/{reference}/appointments", data=data)


async def test_a_caseworker_books_from_the_case_page_and_sees_it_there(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    reference = await add_case(bot, PERSON)
    page = await client.get(f"/cases/{reference}")
    assert 'action="/cases/' + reference + '/appointments"' in page.text
    response = await book(client, reference)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{reference}?saved=appointment#appointments"
    [appointment] = await booked(bot, reference)
    assert appointment.kind == "counselling" and appointment.booked_by == "amina"
    assert appointment.starts_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 office
    page = await client.get(f"/cases/{reference}")
    assert "2026-11-30 10:00" in page.text and "Invited" in page.text


async def test_a_full_slot_is_refused_with_a_translated_message_and_the_form_kept(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    for n in range(3):  # the default limit
        assert (await book(client, await add_case(bot, PERSON + 1 + n))).status_code == 303
    reference = await add_case(bot, PERSON)
    response = await book(client, reference, hour="10")
    assert response.status_code == 400
    assert "This slot is full (3 appointments): choose another hour." in response.text
    assert 'value="2026-11-30"' in response.text
    assert '<option value="10" selected>' in response.text
    assert '<option value="counselling" selected>' in response.text
    assert await booked(bot, reference) == []
    page = await client.get(f"/cases/{reference}")
    await client.post("/language", data={"language": "fr", "next": "/", "csrf_token": token(page)})
    french = await book(client, reference, hour="10")
    assert "Ce créneau est complet (3 rendez-vous)" in french.text


async def test_booking_needs_the_csrf_token_and_a_signed_in_caseworker(bot: Runtime) -> None:
    reference = await add_case(bot, PERSON)
    await add_account(bot)
    async with browser(bot.web) as stranger:
        data = {"kind": "interview", "date": "2026-11-30", "hour": "10"}
        response = await stranger.post(f"/cases/{reference}/appointments", data=data)
        assert response.status_code == 303 and "/login" in response.headers["location"]
        await sign_in(stranger)
        response = await stranger.post(f"/cases/{reference}/appointments", data=data)
        assert response.status_code == 403
    assert await booked(bot, reference) == []


async def test_outcomes_from_the_case_page_and_two_no_shows_flag_the_case(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    reference = await add_case(bot, PERSON)
    for day, now in (("2026-11-30", "2026-11-30T10:00"), ("2026-12-01", "2026-12-01T10:00")):
        await book(client, reference, day=day)
        [appointment, *_] = await booked(bot, reference)
        clock.now = datetime.fromisoformat(now).replace(tzinfo=UTC)
        await sign_in(client)  # days later
        page = await client.get(f"/cases/{reference}")
        response = await client.post(
            f"/cases/{reference}/appointments/{appointment.id}/outcome",
            data={"outcome": "no_show", "csrf_token": token(page)},
        )
        assert response.status_code == 303
    assert [a.status for a in await booked(bot, reference)] == [rows.NO_SHOW, rows.NO_SHOW]
    page = await client.get(f"/cases/{reference}")
    assert "Missed two appointments" in page.text
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None and flags.MISSED in case.flags


async def test_an_outcome_before_the_appointment_is_refused(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    reference = await add_case(bot, PERSON)
    await book(client, reference)
    [appointment] = await booked(bot, reference)
    page = await client.get(f"/cases/{reference}")
    response = await client.post(
        f"/cases/{reference}/appointments/{appointment.id}/outcome",
        data={"outcome": "came", "csrf_token": token(page)},
    )
    assert response.status_code == 400
    assert "This appointment has not taken place yet." in response.text


async def test_the_day_view_shows_each_slot_and_what_it_holds(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    references = [await add_case(bot, PERSON + n) for n in range(3)]
    for reference in references:
        await book(client, reference, hour="9")
    await book(client, references[0], hour="14")  # replaces the first one's 9:00
    home = await client.get("/")
    assert 'href="/appointments"' in home.text  # in the navigation
    page = await client.get("/appointments?day=2026-11-30")
    assert page.status_code == 200
    assert "Appointments on November 30, 2026" in page.text
    assert "2 / 3" in page.text and "1 / 3" in page.text
    assert all(f"/cases/{r}#appointments" in page.text for r in references)
    assert "Rescheduled" in page.text
    saturday = await client.get("/appointments?day=2026-11-28")
    assert "The office does not see people on this day." in saturday.text
    today = await client.get("/appointments")
    assert "November 27, 2026" in today.text
