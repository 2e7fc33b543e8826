"""Message templates and bulk actions in a real headless Chromium (Debian's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Runtime
from tests.browser import needs_chromium, screenshot
from tests.helpers import PASSWORD, add_account, add_case

pytestmark = needs_chromium


async def test_a_caseworker_sends_a_template_then_acts_on_the_queue_in_the_browser(
    bot: Runtime, dashboard: str, page: Any, api: Any, tmp_path: Path
) -> None:
    await add_account(bot)
    first = await add_case(bot, 60, full_name="Fatou Ndiaye", nationality="SN")
    await add_case(bot, 61, full_name="Awa Sow", nationality="SN")
    await page.goto(dashboard + "/login")
    await page.fill("input[name=username]", "amina")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/inbox")

    await page.goto(f"{dashboard}/cases/{first}")
    await page.select_option("form.send-template select[name=template]", "invitation")
    await page.fill("form.send-template input[name=date]", "2026-12-03")
    await page.click("form.send-template button[type=submit]")  # no time: refused, kept
    assert "Fill in what this template needs: Time." in await page.inner_text("main")
    assert await page.input_value("form.send-template input[name=date]") == "2026-12-03"
    await page.fill("form.send-template input[name=time]", "10:30")
    await page.click("form.send-template button[type=submit]")
    assert "3 décembre 2026 à 10:30" in await page.inner_text("#messages")
    await screenshot(page, "case-template.png", tmp_path)

    await page.goto(dashboard + "/?nationality=SN")
    await page.click("text=Act on these cases")
    assert "2 cases match this filter." in await page.inner_text("main")
    await page.check("input[name=action][value=template]")
    await page.select_option("select[name=template]", "call_back")
    await screenshot(page, "bulk.png", tmp_path)
    await page.click("form.bulk button[type=submit]")
    assert "2 cases · Send the template: Call-back" in await page.inner_text("main")
    await screenshot(page, "bulk-confirm.png", tmp_path)
    await page.click("form.bulk button[type=submit]")
    assert "Done: 2. Refused: 0." in await page.inner_text("main")
    await screenshot(page, "bulk-done.png", tmp_path)
    assert len(api.messages(60)) == 2 and len(api.messages(61)) == 1
    assert page.dialogs == []
