"""The dashboard on a phone and by keyboard, in a real Chromium, checked by axe-core.

Every page is checked at 375 px and 1280 px for WCAG 2.1 A and AA; at 360 px nothing may
scroll sideways; on a phone every control is about 44 px tall. The product's CSP stays on:
axe is injected through the browser's debugging channel, which the page's CSP does not see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime
from tests.browser import needs_chromium, screenshot
from tests.helpers import PASSWORD, add_account, add_case

pytestmark = needs_chromium
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
TOUCH = 43.5  # about 44 px: sub-pixel layout may round below


async def sign_in(page: Any, dashboard: str, name: str = "sara") -> None:
    await page.goto(dashboard + "/login")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/inbox")  # what needs action, first
    await page.goto(dashboard + "/")


async def violations(page: Any) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it stands."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
    ]


async def sideways(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return int(
        await page.evaluate(
            "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
    )


async def small_controls(page: Any) -> list[str]:
    """The visible controls (and labels of checkboxes and radios) shorter than a touch."""
    found: list[str] = await page.evaluate(
        """(touch) => {
          const small = [];
          const controls = document.querySelectorAll(
            "button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])");
          const labels = [...document.querySelectorAll("input[type=checkbox], input[type=radio]")]
            .map((box) => box.closest("label")).filter(Boolean);
          for (const element of [...controls, ...labels]) {
            const box = element.getBoundingClientRect();
            if (box.width > 0 && box.height < touch) {
              small.push(`${element.outerHTML.slice(0, 80)} is ${box.height}px`);
            }
          }
          return small;
        }""",
        TOUCH,
    )
    return found


@pytest.fixture
async def cases(bot: Runtime) -> list[str]:
    await add_account(bot, "sara", role="supervisor")
    family = {
        "family_count": 2,
        "family_members": [
            {"member_name": "Binta Diallo", "relationship": "child", "member_birth": "2019-03-02"},
            {"member_name": "Moussa Diallo", "relationship": "spouse", "member_birth": "1988"},
        ],
    }
    return [
        await add_case(bot, 60, full_name="Fatou Ndiaye", flags=["urgent_health"]),
        await add_case(bot, 61, full_name="Jean Mbeki", nationality="CD", flags=["minor"]),
        await add_case(bot, 62, full_name="Awa Diallo", flags=["family_case"], **family),
    ]


def pages(references: list[str]) -> list[str]:
    return ["/", "/?status=submitted", *(f"/cases/{r}" for r in references), "/accounts",
            "/sources", "/audit", "/simulator", "/appointments", "/telegram",
            "/cases/AVR-0000-00000", "/inbox", "/inbox?scope=all", "/workload",
            "/templates", "/templates/invitation", "/bulk", "/projects", "/projects/new",
            "/reports"]  # fmt: skip


async def test_every_page_passes_axe_on_a_phone_and_a_desktop(
    bot: Runtime, dashboard: str, page: Any, cases: list[str], tmp_path: Path
) -> None:
    found: dict[str, list[str]] = {}
    await page.set_viewport_size(PHONE)
    await page.goto(dashboard + "/login")
    found["/login 375"] = await violations(page)
    await sign_in(page, dashboard)
    for viewport in (PHONE, DESKTOP):
        await page.set_viewport_size(viewport)
        for path in pages(cases):
            await page.goto(dashboard + path)
            found[f"{path} {viewport['width']}"] = await violations(page)
    await page.set_viewport_size(PHONE)
    await page.goto(dashboard + "/")
    await screenshot(page, "queue-phone.png", tmp_path)
    assert {where: problems for where, problems in found.items() if problems} == {}
    assert len(found) == 1 + 2 * len(pages(cases))


async def test_nothing_scrolls_sideways_at_360_px_and_controls_are_touch_sized(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in(page, dashboard)
    wide: dict[str, int] = {}
    small: dict[str, list[str]] = {}
    for path in pages(cases):
        await page.goto(dashboard + path)
        wide[path] = await sideways(page)
        small[path] = await small_controls(page)
    assert {path: px for path, px in wide.items() if px > 0} == {}
    assert {path: found for path, found in small.items() if found} == {}


async def test_on_a_phone_the_queue_shows_each_case_as_a_card_reference_status_and_flags_first(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, dashboard)
    card = page.locator("table.queue tbody tr").first
    cells = await card.locator("td").evaluate_all(
        "(cells) => cells.map((c) => [c.dataset.label, c.getBoundingClientRect().top])"
    )
    ordered = [label for label, _top in sorted(cells, key=lambda cell: cell[1])]
    assert ordered[:3] == ["Reference", "Status", "Flags"]
    box = await card.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]


async def test_the_first_case_is_three_tab_presses_away_and_focus_is_visible(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await sign_in(page, dashboard)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert outline == "3px"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to the requests"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.getAttribute('href')")
    assert focused is not None and focused.startswith("/cases/AVR-")


async def test_the_language_switch_says_its_language_and_which_is_current(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await sign_in(page, dashboard)
    switch = page.locator("header button[name=language]")
    found = await switch.evaluate_all(
        "(buttons) => buttons.map((b) => [b.value, b.lang, b.getAttribute('aria-current')])"
    )
    assert sorted(found) == [["en", "en", "true"], ["fr", "fr", None]]


async def test_a_refused_status_change_keeps_every_choice_and_focuses_the_field_at_fault(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await sign_in(page, dashboard)
    await page.goto(f"{dashboard}/cases/{cases[0]}")
    await page.check("input[name=status][value=rejected]")
    await page.select_option("select[name=notify]", "no")
    await page.click("section.act button[type=submit]")  # a rejection needs a note

    assert await page.is_checked("input[name=status][value=rejected]")
    assert await page.input_value("select[name=notify]") == "no"
    note = page.locator("textarea[name=note]")
    assert await note.get_attribute("aria-invalid") == "true"
    described = await note.get_attribute("aria-describedby")
    message = await page.inner_text(f"#{described}")
    assert message == "Write a note to explain this decision."
    assert await page.evaluate("document.activeElement.name") == "note"

    await note.fill("Registered refugee: referred to UNHCR.")
    await page.select_option("select[name=reason]", "protection_referral")  # and its reason
    await page.click("section.act button[type=submit]")
    assert await page.inner_text("[role=status].saved") == "The status was changed."
    assert "Not accepted" in await page.inner_text("h1")


async def test_axe_runs_under_the_products_csp_and_finds_what_is_wrong(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    """The checks above can fail: the same run finds an image without a text alternative."""
    await sign_in(page, dashboard)
    response = await page.goto(dashboard + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await page.evaluate(
        "document.querySelector('main').append(Object.assign(document.createElement('img'),"
        " {src: '/static/style.css'}))"
    )
    assert [v.split(" ")[0] for v in await violations(page)] == ["image-alt"]


async def test_the_telegram_code_passes_axe_and_fits_a_phone(
    bot: Runtime, dashboard: str, page: Any, cases: list[str]
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in(page, dashboard)
    await page.goto(dashboard + "/telegram")
    await page.click("main button[type=submit]")
    assert await page.locator("main code").count() == 1  # the code, and the t.me link
    assert await violations(page) == []
    assert await sideways(page) == 0
    assert await small_controls(page) == []
