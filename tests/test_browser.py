"""The dashboard in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Runtime
from bot.store import cases, people
from tests.browser import needs_chromium, screenshot
from tests.helpers import PASSWORD, Phone, add_account, add_case, counselled
from tests.walker import complete_intake

pytestmark = needs_chromium


async def test_a_caseworker_works_a_case_in_the_browser(
    bot: Runtime, dashboard: str, page: Any, api: Any, tmp_path: Path
) -> None:
    await add_account(bot)
    await add_case(bot, 50, full_name="Fatou Ndiaye", nationality="SN")
    await add_case(bot, 51, full_name="Jean Mbeki", nationality="CD", flags=["minor", "vulnerable"])
    reference = await add_case(
        bot, 52,
        full_name="<script>alert(1)</script>",
        destination_city="<img src=x onerror=alert(2)>",
        nationality="CM",
        flags=["needs_travel_document"],
    )  # fmt: skip

    await page.goto(dashboard + "/")
    assert "/login" in page.url
    await page.fill("input[name=username]", "amina")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/")
    assert await page.locator("table.queue tbody tr").count() == 3
    await page.check("input[name=priority]")
    await page.click(".filters button[type=submit]")
    assert "Jean Mbeki" in await page.locator("table.queue tbody tr").first.inner_text()
    await screenshot(page, "queue.png", tmp_path)

    await page.select_option("select[name=nationality]", "CM")
    await page.click(".filters button[type=submit]")
    rows = page.locator("table.queue tbody tr")
    assert await rows.count() == 1
    await page.click(f"text={reference}")
    await page.wait_for_url(f"{dashboard}/cases/{reference}")
    body = await page.inner_text("main")
    assert "<script>alert(1)</script>" in body  # shown as text...
    assert "<img src=x onerror=alert(2)>" in body
    assert page.dialogs == []  # ...and never run
    await screenshot(page, "case.png", tmp_path)

    await page.check("input[name=status][value=in_review]")
    await page.select_option("select[name=notify]", "no")
    await page.click("section.act button[type=submit]")
    await page.check("input[name=status][value=rejected]")
    await page.select_option("section.act select[name=reason]", "protection_referral")
    await page.fill("section.act textarea[name=note]", "Referred to UNHCR: registered refugee")
    await page.click("section.act button[type=submit]")
    assert "Not accepted" in await page.inner_text("h1")
    assert "Referred to UNHCR" in await page.inner_text("main")

    await page.fill("form[action$='/messages'] textarea", "Please call the office on Monday.")
    await page.click("form[action$='/messages'] button")
    assert "Please call the office on Monday." in await page.inner_text(".messages")
    texts = [m.text for m in api.messages(52)]
    header, body = texts[-1].split("\n\n")  # said to be the staff's, in the person's words
    assert body == "Please call the office on Monday." and "OIM Rabat" in header
    assert any("could not be accepted" in t or "pas pu être acceptée" in t for t in texts)

    await page.goto(dashboard + "/?nationality=CM")
    async with page.expect_download() as download_info:
        await page.click("text=Export CSV")
    download = await download_info.value
    exported = (await download.path()).read_text(encoding="utf-8-sig")
    assert reference in exported and "'" not in exported.split("\n")[0]
    assert page.dialogs == []


async def test_an_intake_accepted_in_the_browser_reaches_the_person_in_french(
    bot: Runtime, dashboard: str, page: Any, api: Any
) -> None:
    phone = Phone(bot, api.person(4343, "Awa", "fr"))
    reference = await complete_intake(phone, date_of_birth="1990", reintegration_plan="dont_know")
    await counselled(bot, reference)

    await add_account(bot)
    await page.goto(dashboard + "/login")
    await page.fill("input[name=username]", "amina")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/inbox")
    await page.goto(dashboard + "/")
    await page.click(f"text={reference}")
    assert "1990" in await page.inner_text("table.answers")  # a year alone, shown as given
    for status in ("in_review", "accepted"):
        await page.check(f"input[name=status][value={status}]")
        await page.click("section.act button[type=submit]")
    assert "Accepted" in await page.inner_text("h1")
    fr = bot.catalogs.translator("fr")
    assert phone.last.text == fr.gettext(
        "Good news: your request {reference} has been accepted. "
        "Staff will call you to prepare your return.",
        reference=reference,
    )


async def test_an_intake_completed_on_the_simulator_page_by_clicking(
    polling: Runtime, dashboard: str, page: Any, tmp_path: Path
) -> None:
    bot = polling
    assert bot.phones is not None
    await add_account(bot)
    await page.goto(dashboard + "/simulator")
    await page.fill("input[name=username]", "amina")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(dashboard + "/simulator")
    await page.fill(".new-phone input[name=name]", "Mariama")
    await page.select_option(".new-phone select[name=language]", "en")
    await page.click(".new-phone button[type=submit]")
    await page.wait_for_selector(".phone")

    bot_bubbles = page.locator(".bubble.bot")

    async def answered(action: Any) -> None:
        """Do `action`, then wait for the bot's next message to appear on the phone."""
        before = await bot_bubbles.count()
        await action()
        await page.wait_for_function(
            "(n) => document.querySelectorAll('.bubble.bot').length > n", arg=before
        )

    async def say(text: str) -> None:
        async def act() -> None:
            await page.fill(".composer input[name=text]", text)
            await page.press(".composer input[name=text]", "Enter")

        await answered(act)

    async def click(value: str) -> None:
        button = page.locator(f".screen form:has(input[name=data][value$='|{value}']) button")
        await answered(lambda: button.last.click())

    await say("/start")
    for value in ("en", "agree", "yes"):
        await click(value)
    await say("Mariama Bah")
    await click("female")
    await say("12/03/1994")
    await say("guinea")  # typed, in lower case
    await answered(lambda: page.click(".keyboard button"))  # "share my phone number"
    for value in ("casablanca", "years_1_to_3", "no_papers", "valid_passport", "GN"):
        await click(value)
    await say("Conakry")
    for value in ("0", "no", "no", "no"):
        await click(value)
    version = await page.get_attribute(".phone", "data-version")
    await page.locator(".screen form:has(input[name=data][value$='|trade']) button").last.click()
    await page.wait_for_function(
        "(v) => document.querySelector('.phone').dataset.version !== v", arg=version
    )  # a toggle edits the question in place
    assert "☑️ A trade" in await page.locator(".bubble.bot").last.inner_text()
    for value in ("done", "dont_know"):
        await click(value)
    await answered(lambda: page.locator(".extras button[value=sticker]").click())
    assert "Please tap one of the buttons below." in await bot_bubbles.last.inner_text()
    await click("yes")
    await click("confirm")
    assert "Your reference number is AVR-" in await bot_bubbles.last.inner_text()
    await screenshot(page, "simulator.png", tmp_path)
    assert page.dialogs == []

    phone = next(iter(bot.phones.phones.values()))
    async with bot.store.unit() as unit:
        person = await people.find(unit, phone.person.user_id)
        assert person is not None
        [sent] = await cases.of_person(unit, person.id)
    answers = sent.answers
    assert (answers["full_name"], answers["date_of_birth"]) == ("Mariama Bah", "1994-03-12")
    assert (answers["nationality"], answers["destination_country"]) == ("GN", "GN")
    assert answers["phone"] == phone.number and answers["occupation"] == ["trade"]
