"""The Reports page and a returnee's page in a real headless Chromium: every chart is an
SVG image that loads under the dashboard's CSP, beside the table of its figures."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bot.app import Runtime
from bot.store.models import Base, Followup, PreRegistration
from bot.store.tables import followups
from tests.browser import needs_chromium, screenshot
from tests.helpers import PASSWORD, Clock, add_account, returned_case, table_rows
from tests.live_cohort import seed

pytestmark = needs_chromium

# Reported by Chromium for anything the Content-Security-Policy blocks.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


async def a_returnee(bot: Runtime, clock: Clock) -> str:
    """A returned case with its plan, two grant items and two scored check-ins."""
    case_id = await returned_case(bot, 9301)
    first, second = (row["id"] for row in (await table_rows(bot, Followup))[:2])
    scores = {
        first: (datetime(2026, 11, 27, 9, tzinfo=UTC), 0.25, 0.5, 0.4, 0.37),
        second: (datetime(2026, 12, 20, 9, tzinfo=UTC), 0.62, 0.75, 0.8, 0.71),
    }
    items = [("Sewing machine", "equipment", 30000, "delivered"),
             ("Fabric", "stock", 12000, "approved")]  # fmt: skip
    async with bot.store.unit() as unit:
        for row, (answered, economic, social, psychosocial, composite) in scores.items():
            await unit.connection.execute(
                update(followups).where(followups.c.id == row)
                .values(status="answered", answered_at=answered, score_economic=economic,
                        score_social=social, score_psychosocial=psychosocial,
                        score_composite=composite)
            )  # fmt: skip
        await unit.connection.execute(
            insert(Base.metadata.tables["reintegration_plans"]).values(
                pre_registration_id=case_id, kind="business", description="A tailor's shop",
                partner="Partner office in Dakar", agreed_on=clock().date(),
                updated_by="chief", updated_at=clock(),
            )
        )  # fmt: skip
        await unit.connection.execute(
            insert(Base.metadata.tables["grant_items"]),
            [
                {"pre_registration_id": case_id, "description": text, "category": category,
                 "vendor": "Marché Sandaga", "quantity": 1, "unit_cost_cents": cents,
                 "currency": "USD", "usd_rate": "1", "amount_usd_cents": cents,
                 "status": status, "created_by": "chief", "created_at": clock(),
                 "updated_at": clock()}
                for text, category, cents, status in items
            ],
        )  # fmt: skip
        unit.touch(case_id)
    [case] = [r for r in await table_rows(bot, PreRegistration) if r["id"] == case_id]
    return str(case["reference"])


async def charts_and_tables(page: Any, image: str, table: str) -> list[str]:
    """Each chart's SVG, after checking it is drawn and has its table beside it."""
    images = page.locator(image)
    svgs = []
    for i in range(await images.count()):
        chart = images.nth(i)
        src = await chart.get_attribute("src")
        assert src is not None and src.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(src.split(",", 1)[1]).decode()
        assert "<svg" in svg and "<script" not in svg
        assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")  # drawn
        assert await chart.get_attribute("alt")
        beside = chart.locator("xpath=ancestor::div[1]").locator(table)
        assert await beside.count() == 1
        assert await beside.locator("tbody tr").count() > 0
        svgs.append(svg)
    return svgs


async def test_reports_and_a_returnees_page_draw_their_charts_under_the_csp(
    bot: Runtime, dashboard: str, page: Any, clock: Clock, tmp_path: Path
) -> None:
    await seed(bot, clock)
    reference = await a_returnee(bot, clock)
    await add_account(bot, "chief", "supervisor")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    await page.add_init_script(WATCH_CSP)

    await page.goto(dashboard + "/login")
    await page.fill("input[name=username]", "chief")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/inbox*")

    await page.goto(dashboard + "/reports?since=2026-01&until=2026-12")
    assert await page.locator("h1").first.inner_text() != ""
    svgs = await charts_and_tables(page, "figure.chart img", "table.figures")
    # A chart is drawn where a table has figures to draw: the months, the funnel, the
    # grants; in a cohort this small the other tables' cells are hidden ("<5").
    assert len(svgs) >= 3
    assert await page.locator("table.figures").count() > len(svgs)
    body = await page.inner_text("main")
    assert "<5" in body  # a small cohort: small cells are hidden
    await screenshot(page, "reports.png", tmp_path)

    await page.goto(f"{dashboard}/cases/{reference}")
    [svg] = await charts_and_tables(page, "#reintegration .chart img", "table.scores")
    assert "Economic" in svg
    section = await page.inner_text("#reintegration")
    assert "Sewing machine" in section and "A tailor's shop" in section
    await page.locator("#reintegration").scroll_into_view_if_needed()
    await screenshot(page, "returnee.png", tmp_path)

    assert await page.evaluate("window.__csp") == []
    assert not [text for text in console if "Content Security Policy" in text], console
    assert page.dialogs == []
