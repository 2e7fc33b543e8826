"""One case through the whole office path, in a real Chromium, with the person on a phone.

New, taken by a caseworker, first in the inbox once red, an appointment booked and accepted
on the phone, the checklist completed, accepted, the travel document requested and
received, travel booked, the departure reconfirmed on the phone, departed, returned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Runtime
from bot.status import PERSON_MESSAGES, Status
from bot.store import accounts, appointments, assignment, cases, reconfirmations
from tests.browser import needs_chromium, screenshot
from tests.helpers import PASSWORD, Clock, Phone, add_account, add_case
from tests.walker import complete_intake

pytestmark = needs_chromium


async def sign_in(page: Any, dashboard: str, name: str) -> None:
    await page.goto(dashboard + "/login")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/inbox")


async def submit(page: Any, form: str) -> None:
    """Press the form's button and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.click(f"{form} button[type=submit]")


async def move(page: Any, status: str) -> None:
    await page.check(f"input[name=status][value={status}]")
    await submit(page, "section.act")
    assert await page.locator("p.saved").inner_text() == "The status was changed."


async def test_a_case_goes_from_request_to_return_through_the_office(
    bot: Runtime, dashboard: str, page: Any, api: Any, clock: Clock, tmp_path: Path
) -> None:
    await add_account(bot, "amina")
    await add_account(bot, "sara", role="supervisor")
    earlier = await add_case(bot, 70, full_name="Jean Mbeki", nationality="CD")
    async with bot.store.unit() as unit:
        amina = await accounts.by_username(unit, "amina")
        assert amina is not None
        await assignment.assign(unit, await _case_id(bot, earlier), amina.id, "sara", clock())

    # New: a request from the phone, in French.
    phone = Phone(bot, api.person(4545, "Awa", "fr"))
    fr = bot.catalogs.translator("fr")
    reference = await complete_intake(phone, date_of_birth="1990", reintegration_plan="dont_know")
    await sign_in(page, dashboard, "amina")
    await page.goto(f"{dashboard}/cases/{reference}")
    assert "Nobody has this case yet." in await page.inner_text("#caseload")

    # Assigned: the caseworker takes it.
    await submit(page, "#caseload form")
    assert "Assigned to amina" in await page.inner_text("#caseload")

    # Red: the person asks for a person; the inbox shows the case first, above an older one.
    await phone.say("/human")
    await page.goto(f"{dashboard}/inbox")
    rows = page.locator("table tbody tr")
    assert reference in await rows.nth(0).inner_text()
    assert earlier in await rows.nth(1).inner_text()
    await screenshot(page, "inbox.png", tmp_path)

    # An appointment, booked on the case page and accepted on the phone.
    await page.goto(f"{dashboard}/cases/{reference}")
    await page.select_option("form.booking select[name=kind]", "interview")
    await page.fill("form.booking input[name=date]", "2026-11-30")
    await page.select_option("form.booking select[name=hour]", "10")
    await submit(page, "form.booking")
    assert "2026-11-30" in phone.last.text or "30 novembre 2026" in phone.last.text
    await phone.choose("yes")
    async with bot.store.unit() as unit:
        booked = await appointments.of_case(unit, await _case_id(bot, reference))
    assert [a.status for a in booked] == ["confirmed"]
    await page.goto(f"{dashboard}/appointments?day=2026-11-30")
    assert reference in await page.inner_text("main")
    await screenshot(page, "appointments-day.png", tmp_path)

    # The checklist, completed; then accepted.
    await page.goto(f"{dashboard}/cases/{reference}")
    for item in ("voluntariness", "status_checked"):
        form = f"form.checklist-item:has(input[name=item][value={item}])"
        await page.fill(f"{form} input[name=done_on]", "2026-11-27")
        await submit(page, form)
    fitness = "form.checklist-item:has(input[name=item][value=fitness])"
    await page.select_option(f"{fitness} select[name=value]", "fit")
    await submit(page, fitness)
    assert "The checklist is complete." in await page.inner_text("#counselling")
    await move(page, "in_review")
    await move(page, "accepted")

    # The travel document requested, then received; the flight booked.
    await page.select_option("form.travel select[name=document_type]", "laissez_passer")
    await page.fill("form.travel input[name=document_requested_on]", "2026-11-27")
    await page.fill("form.travel input[name=consulate]", "Consulat du Sénégal, Rabat")
    await submit(page, "form.travel")
    await move(page, "doc_requested")
    await page.fill("form.travel input[name=document_received_on]", "2026-11-27")
    await submit(page, "form.travel")
    await move(page, "doc_received")
    await page.fill("form.travel input[name=flight_date]", "2026-11-29")
    await page.fill("form.travel input[name=flight_time]", "14:30")
    await page.fill("form.travel input[name=carrier]", "Royal Air Maroc")
    await page.fill("form.travel input[name=flight_number]", "AT 511")
    await page.fill("form.travel input[name=airport]", "Rabat-Salé")
    await submit(page, "form.travel")
    await move(page, "travel_booked")
    told = [m.text for m in phone.inbox]
    for step in (Status.DOC_REQUESTED, Status.DOC_RECEIVED, Status.TRAVEL_BOOKED):
        office = bot.settings.office_name
        assert fr.gettext(PERSON_MESSAGES[step], reference=reference, office=office) in told

    # Reconfirmed on the phone: the flight is under 72 hours away, so the question goes now.
    await bot.departures.run_once()
    await phone.tap(fr.gettext("Yes, I am travelling"))
    async with bot.store.unit() as unit:
        asked = await reconfirmations.of_case(unit, await _case_id(bot, reference))
    assert [(r.status, r.answer) for r in asked] == [("answered", "travelling")]

    # Departed after the flight, then returned: two days on, signed in again.
    clock.advance(days=2, hours=5)
    await sign_in(page, dashboard, "amina")
    await page.goto(f"{dashboard}/cases/{reference}")
    await move(page, "departed")
    await page.check("input[name=status][value=returned]")
    await page.fill("section.act input[name=return_date]", "2026-11-29")  # arrived that night
    await submit(page, "section.act")
    assert "Returned home" in await page.inner_text("h1")
    history = await page.inner_text("main")
    for label in ("Accepted", "Travel document requested", "Travel booked", "Departed"):
        assert label in history, label

    await page.emulate_media(media="print")
    await screenshot(page, "case-printed.png", tmp_path)
    await page.emulate_media(media="screen")
    await page.click("header form[action='/logout'] button")
    await sign_in(page, dashboard, "sara")
    await page.goto(f"{dashboard}/workload")
    assert "amina" in await page.inner_text("main")
    await screenshot(page, "workload.png", tmp_path)


async def _case_id(bot: Runtime, reference: str) -> int:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found.id
