"""The case page's counselling record, people and decisions, over HTTP: the real ASGI app
and a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from markupsafe import escape

from bot.app import Runtime
from bot.store import AuditEvent, PreRegistration, cases, counselling, members
from tests.helpers import add_account, add_case, browser, counselled, sign_in, table_rows, token

FAMILY = [
    {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1988-03-02"},
    {"name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2019"},
]


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def post(client: httpx.AsyncClient, reference: str, action: str,
               data: dict[str, str | list[str]]) -> httpx.Response:  # fmt: skip
    page = await client.get(f"/cases/{reference}")
    return await client.post(
        f"/cases/{reference}/{action}", data={"csrf_token": token(page), **data}
    )


async def status_of(bot: Runtime, reference: str) -> str:
    rows = await table_rows(bot, PreRegistration)
    return str(next(r["status"] for r in rows if r["reference"] == reference))


async def actions(bot: Runtime) -> list[tuple[str, str]]:
    return [(row["actor"], row["action"]) for row in await table_rows(bot, AuditEvent)]


async def in_french(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    await client.post("/language", data={"csrf_token": token(page), "language": "fr"})


async def test_the_case_page_shows_the_checklist_that_applies_in_english_and_french(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    adult = await add_case(bot, 1)
    minor = await add_case(bot, 2, flags=["minor"])
    await sign_in(client)
    page = await client.get(f"/cases/{adult}")
    assert "Voluntariness confirmed in person" in page.text and "To do" in page.text
    assert "Consent of the legal guardian (minor)" not in page.text
    assert "Consent of the legal guardian (minor)" in (await client.get(f"/cases/{minor}")).text
    await in_french(client)
    page = await client.get(f"/cases/{minor}")
    fr = bot.catalogs.translator("fr")
    for text in ("Voluntariness confirmed in person", "Consent of the legal guardian (minor)",
                 "Fitness to travel", "To do", "Counselling"):  # fmt: skip
        assert escape(fr.gettext(text)) in page.text
        assert fr.gettext(text) != text


async def test_a_caseworker_records_an_item_and_sees_it_done(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 3)
    await sign_in(client)
    data = {"item": "voluntariness", "done_on": "2026-11-26", "done_by": "Fatima Alaoui"}
    response = await post(client, reference, "checklist", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{reference}?saved=checklist#counselling"
    page = await client.get(f"/cases/{reference}")
    assert "Fatima Alaoui" in page.text and "Done" in page.text
    assert ("amina", "case.checklist_recorded") in await actions(bot)
    response = await post(client, reference, "checklist", {"item": "voluntariness", "clear": "yes"})
    assert response.status_code == 303
    assert "Fatima Alaoui" not in (await client.get(f"/cases/{reference}")).text


async def test_a_refused_item_shows_why_and_keeps_what_was_typed(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 4)
    await sign_in(client)
    data = {"item": "voluntariness", "done_on": "2026-12-24", "done_by": "Fatima Alaoui"}
    response = await post(client, reference, "checklist", data)
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.text
    assert 'aria-describedby="checklist-voluntariness-done_on-error"' in response.text
    assert 'value="2026-12-24"' in response.text and 'value="Fatima Alaoui"' in response.text
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None and await counselling.entries(unit, case.id) == {}


async def test_accepting_an_incomplete_case_is_refused_with_the_form_kept(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 5)
    await sign_in(client)
    await post(client, reference, "status", {"status": "in_review", "notify": "no"})
    response = await post(client, reference, "status",
                          {"status": "accepted", "note": "Ready to go", "notify": "no"})  # fmt: skip
    assert response.status_code == 400
    assert "The counselling checklist is not complete" in response.text
    assert "Ready to go</textarea>" in response.text
    assert 'value="accepted" required checked' in response.text
    assert 'name="override"' not in response.text  # not offered to a caseworker
    assert await status_of(bot, reference) == "in_review"
    await counselled(bot, reference)
    response = await post(client, reference, "status", {"status": "accepted", "notify": "no"})
    assert response.status_code == 303 and await status_of(bot, reference) == "accepted"


async def test_a_supervisor_overrides_the_checklist_from_the_status_form(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    reference = await add_case(bot, 6)
    await sign_in(client, "chief")
    await post(client, reference, "status", {"status": "in_review", "notify": "no"})
    page = await client.get(f"/cases/{reference}")
    assert 'name="override"' in page.text
    data = {"status": "accepted", "override": "yes", "note": "Seen by phone", "notify": "no"}
    response = await post(client, reference, "status", data)
    assert response.status_code == 303 and await status_of(bot, reference) == "accepted"
    assert ("chief", "case.checklist_overridden") in await actions(bot)


async def test_a_refusal_from_the_form_needs_its_reason_and_shows_it(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 7)
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert 'name="reason"' in page.text and "Referred for protection (UNHCR)" in page.text
    data = {"status": "rejected", "note": "Registered refugee", "notify": "no"}
    response = await post(client, reference, "status", data)
    assert response.status_code == 400
    assert "Choose the reason the request is not accepted." in response.text
    assert 'aria-describedby="status-reason-error"' in response.text
    assert "Registered refugee</textarea>" in response.text
    response = await post(client, reference, "status", {**data, "reason": "protection_referral"})
    assert response.status_code == 303 and await status_of(bot, reference) == "rejected"
    await in_french(client)
    page = await client.get(f"/cases/{reference}")
    fr = bot.catalogs.translator("fr")
    shown = fr.gettext("Reason for not accepting: {reason}",
                       reason=fr.gettext("Referred for protection (UNHCR)"))  # fmt: skip
    assert escape(shown) in page.text


async def test_closing_as_a_duplicate_from_the_form_links_the_other_case(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    first = await add_case(bot, 8)
    second = await add_case(bot, 9)
    await sign_in(client)
    response = await post(client, second, "status", {"status": "duplicate", "notify": "no"})
    assert response.status_code == 400
    assert "Give the reference of the case this one duplicates." in response.text
    data = {"status": "duplicate", "duplicate_of": first, "notify": "no"}
    response = await post(client, second, "status", data)
    assert response.status_code == 303 and await status_of(bot, second) == "duplicate"
    page = await client.get(f"/cases/{second}")
    assert "Closed as a duplicate of</span>" not in page.text
    assert f'<a href="/cases/{first}">{first}</a>' in page.text
    assert "linked: the same person" in page.text
    queue = await client.get("/")
    assert "All (1)" in queue.text and "Closed as a duplicate (1)" in queue.text
    assert second not in queue.text.split("<table")[-1]
    assert ("amina", "case.closed_as_duplicate") in await actions(bot)


async def test_family_members_are_shown_and_edited_on_the_case_page(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 10, family_count=2, family_members=FAMILY)
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert "People travelling: 3" in page.text and 'value="Fanta Diallo"' in page.text
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        child = (await members.of_case(unit, case.id))[1]
    data: dict[str, str | list[str]] = {
        "name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2019",
        "travel_document": "none", "fitness": "needs_escort",
        "vulnerabilities": ["medical", "protection"],
    }  # fmt: skip
    response = await post(client, reference, f"members/{child.id}", data)
    assert response.status_code == 303
    async with bot.store.unit() as unit:
        changed = (await members.of_case(unit, case.id))[1]
    assert changed.fitness == "needs_escort" and changed.vulnerabilities == (
        "medical",
        "protection",
    )
    await in_french(client)
    page = await client.get(f"/cases/{reference}")
    fr = bot.catalogs.translator("fr")
    assert escape(fr.gettext("People of the case")) in page.text
    assert escape(fr.gettext("Child travelling without a parent")) in page.text


async def test_a_refused_member_change_keeps_what_was_typed(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    reference = await add_case(bot, 11, family_count=2, family_members=FAMILY)
    await sign_in(client)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        spouse = (await members.of_case(unit, case.id))[0]
    data: dict[str, str | list[str]] = {
        "name": "Moussa Diallo Keita",
        "date_of_birth": "2099",
        "vulnerabilities": ["medical"],
    }
    response = await post(client, reference, f"members/{spouse.id}", data)
    assert response.status_code == 400
    assert "Write the date of birth as a past date, or a year alone." in response.text
    assert 'value="Moussa Diallo Keita"' in response.text and 'value="2099"' in response.text
    assert f'aria-describedby="member-{spouse.id}-date_of_birth-error"' in response.text
    assert 'value="medical" checked' in response.text
    missing = await post(client, reference, "members/99999", {"name": "Somebody"})
    assert missing.status_code == 400
