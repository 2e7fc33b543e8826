"""The case page's reintegration section through the real ASGI app: the plan, the ledger's
forms and totals against the cap, the supervisor's override, the scores' chart and table."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from bot.app import Runtime
from bot.chat.transport import OfflineBotAPI
from bot.store.models import AuditEvent, Followup, PreRegistration
from bot.store.reintegration_models import GrantItem, ReintegrationPlan
from tests.helpers import Clock, add_account, browser, returned_case, sign_in, table_rows, token
from tests.travel_helpers import accepted_case

MOTORBIKE = {
    "description": "Moto-taxi",
    "category": "transport",
    "vendor": "Garage Ndiaye",
    "quantity": "1",
    "unit_cost": "250000",
    "currency": "XOF",
    "usd_rate": "0.0016",
}  # 400.00 USD
STOCK = {**MOTORBIKE, "description": "Fabric stock", "category": "stock", "unit_cost": "250.01",
         "currency": "USD", "usd_rate": ""}  # fmt: skip


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        await add_account(bot)
        await add_account(bot, "chief", "supervisor")
        await sign_in(client)
        yield client


async def post(
    client: httpx.AsyncClient, reference: str, action: str, **data: str
) -> httpx.Response:
    page = await client.get(f"/cases/{reference}")
    return await client.post(
        f"/cases/{reference}/{action}", data={"csrf_token": token(page), **data}
    )


async def switch_to(client: httpx.AsyncClient, name: str) -> None:
    await client.post("/logout", data={"csrf_token": token(await client.get("/"))})
    await sign_in(client, name)


def section(page: httpx.Response) -> str:
    text = html.unescape(page.text)
    start = text.index('<section id="reintegration"')
    return text[start : text.index("</section>", start)]


async def test_the_plan_and_the_ledger_are_kept_from_the_case_page_with_their_totals(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient, api: OfflineBotAPI
) -> None:
    case = await accepted_case(bot, clock, 8201)
    page = section(await client.get(f"/cases/{case.reference}"))
    assert "No plan yet." in page and "No items yet." in page
    assert f'action="/cases/{case.reference}/grants"' in page
    plan = {"kind": "business", "description": "Shoe shop", "partner": "OIM Dakar",
            "agreed_on": "2026-11-27"}  # fmt: skip
    saved = await post(client, case.reference, "reintegration", **plan)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/cases/{case.reference}?saved=plan#reintegration"
    [row] = await table_rows(bot, ReintegrationPlan)
    assert (row["kind"], row["partner"], row["updated_by"]) == ("business", "OIM Dakar", "amina")
    [told] = api.messages(8201)  # the outbox sent it at once, in French
    assert "Votre plan de réintégration a été convenu le 27 novembre 2026" in told.text

    for form in (MOTORBIKE, STOCK):
        assert (await post(client, case.reference, "grants", **form)).status_code == 303
    first, second = (row["id"] for row in await table_rows(bot, GrantItem))
    assert (await post(client, case.reference, f"grants/{first}/approve")).status_code == 303
    page = section(await client.get(f"/cases/{case.reference}?saved=grant_approved"))
    assert "Start a business" in page and "November 27, 2026" in page
    totals = re.search(r'<table class="totals">.*?</table>', page, re.DOTALL)
    assert totals is not None
    cells = re.findall(r"<td>([^<]*)</td>", totals.group(0))
    assert cells == [f"{n}\u00a0USD" for n in ("250.01", "400.00", "0.00", "600.00", "200.00")]
    assert "250,000.00\u00a0XOF" in page and "0.0016" in page  # the unit cost, as typed, and rate

    refused = await post(client, case.reference, f"grants/{second}/approve")
    assert refused.status_code == 400
    assert (
        "Approving this item would bring the approved and delivered items to 650.01\u00a0USD, "
        "over the grant's cap of 600.00\u00a0USD."
    ) in html.unescape(refused.text)
    assert 'name="override"' not in section(refused)  # a caseworker is offered no override

    delivered = await post(
        client, case.reference, f"grants/{first}/deliver", delivered_on="2026-11-26",
        proof="Receipt 0042",
    )  # fmt: skip
    assert delivered.status_code == 303
    assert "Une partie de votre aide à la réintégration" in api.messages(8201)[-1].text
    page = section(await client.get(f"/cases/{case.reference}"))
    assert "Delivered on November 26, 2026, proof: Receipt 0042" in page
    actions = [e["action"] for e in await table_rows(bot, AuditEvent)]
    assert actions.count("grant.item_added") == 2 and "grant.item_delivered" in actions


async def test_a_supervisor_approves_over_the_cap_with_a_note(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8202)
    await post(client, case.reference, "grants", **{**STOCK, "unit_cost": "612.50"})
    [item] = await table_rows(bot, GrantItem)
    await switch_to(client, "chief")
    page = section(await client.get(f"/cases/{case.reference}"))
    assert 'name="override" value="yes"' in page
    without = await post(client, case.reference, f"grants/{item['id']}/approve", override="yes")
    assert without.status_code == 400
    assert "Say why this item is approved over the grant's cap." in html.unescape(without.text)
    approved = await post(
        client, case.reference, f"grants/{item['id']}/approve", override="yes",
        note="Prices rose after the floods",
    )  # fmt: skip
    assert approved.status_code == 303
    [item] = await table_rows(bot, GrantItem)
    assert (item["status"], item["approved_by"]) == ("approved", "chief")
    page = section(await client.get(f"/cases/{case.reference}"))
    assert "Over the cap: Prices rose after the floods" in page
    assert "over the cap: a supervisor approved them so" in page


async def test_a_refused_item_says_why_by_its_field_and_keeps_what_was_typed(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8203)
    typed = {**MOTORBIKE, "currency": "FCFA", "vendor": "Marché Sandaga"}
    refused = await post(client, case.reference, "grants", **typed)
    assert refused.status_code == 400
    page = section(refused)
    assert 'id="grant-currency-error"' in page
    assert 'value="Marché Sandaga"' in page and 'value="FCFA"' in page
    assert '<option value="transport" selected>' in page
    assert await table_rows(bot, GrantItem) == []
    home = await client.get("/")
    await client.post("/language", data={"csrf_token": token(home), "language": "fr"})
    page = section(await client.get(f"/cases/{case.reference}"))
    assert "<h3>Aide en nature</h3>" in page
    assert "Plafond\u00a0: 600,00\u00a0USD, selon les réglages du bureau." in page


async def test_every_form_of_the_section_wants_its_csrf_token(
    bot: Runtime, clock: Clock, client: httpx.AsyncClient
) -> None:
    case = await accepted_case(bot, clock, 8204)
    for action, data in [("grants", MOTORBIKE), ("reintegration", {"kind": "job"})]:
        missing = await client.post(f"/cases/{case.reference}/{action}", data=data)
        forged = await client.post(
            f"/cases/{case.reference}/{action}", data={**data, "csrf_token": "forged"}
        )
        assert (missing.status_code, forged.status_code) == (403, 403)
    assert await table_rows(bot, GrantItem) == []
    assert await table_rows(bot, ReintegrationPlan) == []


async def test_the_scores_after_return_are_a_chart_with_its_table(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    case_id = await returned_case(bot, 8205)
    [reference] = [r["reference"] for r in await table_rows(bot, PreRegistration)]
    page = section(await client.get(f"/cases/{reference}"))
    assert "No score yet" in page and "<img" not in page
    first, second = (row["id"] for row in (await table_rows(bot, Followup))[:2])
    scores = {
        first: (datetime(2026, 11, 27, 9, tzinfo=UTC), 0.25, 0.5, None, 0.375),
        second: (datetime(2026, 12, 20, 9, tzinfo=UTC), 0.625, 0.75, 0.8, 0.725),
    }
    async with bot.store.unit() as unit:
        for row_id, (answered, economic, social, psychosocial, composite) in scores.items():
            await unit.connection.execute(
                update(Followup.__table__)
                .where(Followup.__table__.c.id == row_id)
                .values(status="answered", answered_at=answered, score_economic=economic,
                        score_social=social, score_psychosocial=psychosocial,
                        score_composite=composite)
            )  # fmt: skip
    assert case_id
    page = section(await client.get(f"/cases/{reference}"))
    image = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', page)
    assert image is not None
    assert image.group(2).startswith("Reintegration scores after return, from 0 to 1")
    svg = base64.b64decode(image.group(1)).decode()
    assert svg.startswith("<?xml") and "<script" not in svg and "Psychosocial" in svg
    rows = re.findall(r"<tr><th scope=\"row\">[^<]*</th>(.*?)</tr>", page)
    assert [re.findall(r"<td>([^<]*)</td>", row)[1:] for row in rows] == [
        ["0.25", "0.50", "", "0.38"],
        ["0.62", "0.75", "0.80", "0.72"],
    ]
