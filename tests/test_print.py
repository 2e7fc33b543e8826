"""The case page printed by Chromium (Debian's): a summary of one or two pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Runtime
from tests.browser import needs_chromium
from tests.helpers import PASSWORD, add_account, add_case

pytestmark = needs_chromium
FAMILY = [
    {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1987-03-14"},
    {"name": "Sira Diallo", "relationship": "child", "date_of_birth": "2016"},
    {"name": "Ousmane Diallo", "relationship": "child", "date_of_birth": "2020-08-30"},
]


async def test_a_family_case_prints_on_at_most_two_pages_without_the_audit(
    bot: Runtime,
    dashboard: str,
    page: Any,
    tmp_path: Path,
) -> None:
    from pypdf import PdfReader

    await add_account(bot)
    reference = await add_case(
        bot, 3, family_count=3, family_members=FAMILY, medical_needs=True, protection=True,
        date_of_birth="1989", destination_city="Kaolack", flags=["vulnerable", "family_case"],
    )  # fmt: skip
    await page.goto(f"{dashboard}/cases/{reference}")
    await page.fill("input[name=username]", "amina")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("section.login button[type=submit]")
    await page.wait_for_url(f"{dashboard}/cases/{reference}")
    for body in ("Called: the family wants to leave in March.", "Passports are at home."):
        await page.fill("textarea[name=body] >> nth=-1", body)
        async with page.expect_navigation():
            await page.click("section:has(> ol.notes) button[type=submit]")

    pdf = tmp_path / "case.pdf"
    await page.pdf(path=str(pdf), format="A4", print_background=False)
    reader = PdfReader(pdf)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)  # cells wrap
    assert 1 <= len(reader.pages) <= 2, len(reader.pages)
    assert reference in text
    assert "Ousmane Diallo" in text and "Protection request" in text
    assert "Passports are at home." in text  # the notes are part of the summary
    assert "Audit trail" not in text and "case.viewed" not in text
    assert "Sign out" not in text and "Add the note" not in text
