"""Languages are data: a catalog and its code in INTAKE_LANGUAGES add one, with no code.

The added language is Esperanto ("eo") in a pseudo-translation: every message is its
English with accented letters between ⟦ and ⟧, so a message that escaped translation
shows. Esperanto, because Babel (CLDR) knows it: the bot takes the language's own name,
dates and country names from Babel, which refuses a made-up code such as "xx". And no
catalog of the project is Esperanto, so nothing here can come from locales/.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from html import escape
from pathlib import Path

import pytest

from bot.app import Runtime, build
from bot.chat.transport import OfflineBotAPI
from bot.config import ROOT, Settings
from bot.store import Person, PreRegistration
from tests.helpers import (
    PSEUDO_CLOSE,
    PSEUDO_OPEN,
    Clock,
    Phone,
    add_account,
    add_language,
    browser,
    sign_in,
    table_rows,
    token,
)
from tests.walker import complete_intake

PSEUDO = "eo"


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """The project's catalogs and template, plus the pseudo-language's catalog."""
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    add_language(locales, PSEUDO)
    return locales


@pytest.fixture
async def bot(
    tmp_path: Path, database_url: str, locales: Path, api: OfflineBotAPI, clock: Clock
) -> AsyncIterator[Runtime]:
    """The bot offering French, English and the pseudo-language, in that order."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=database_url,
        telegram_bot_token=None,
        office_name="OIM Rabat",
        locales_dir=locales,
        languages=f"fr,en,{PSEUDO}",
    )
    bot = await build(settings, offline=api, clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


async def test_a_whole_intake_runs_in_a_language_added_as_a_catalog_and_a_setting(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    phone = Phone(bot, api.person(7101, "Awa", language_code=PSEUDO))
    question = await phone.say("/start")
    assert question.text.startswith(PSEUDO_OPEN)  # the Telegram app's language, negotiated
    assert [b["text"] for b in question.buttons] == ["Français", "English", "Esperanto"]
    consent = await phone.choose(PSEUDO)
    assert question.text.endswith("✅ Esperanto")
    labels = [b["text"] for b in consent.buttons]
    assert labels and all(label.startswith(PSEUDO_OPEN) for label in labels), labels

    reference = await complete_intake(phone, bot.flow, bot.catalogs, language=PSEUDO)

    tr = bot.catalogs.translator(PSEUDO)
    assert phone.last.text.startswith(PSEUDO_OPEN) and reference in phone.last.text
    for message in phone.inbox:
        # Every message the bot wrote is in the pseudo-language; what is not is an answer
        # shown back, as the person gave it ("✅ Awa Diallo").
        text = message.text.split("\n\n✅ ")[0]
        assert text.startswith("✅ ") or (PSEUDO_OPEN in text and PSEUDO_CLOSE in text), text
    (case,) = await table_rows(bot, PreRegistration)
    (person,) = await table_rows(bot, Person)
    assert case["language"] == person["language"] == PSEUDO == case["answers"]["language"]
    assert tr.country("ML") == "Malio"  # Babel's Esperanto, for the review's countries

    await add_account(bot)
    async with browser(bot.web) as client:
        await sign_in(client)
        page = await client.get(f"/cases/{reference}")
    language = bot.catalogs.translator("en").gettext(bot.flow.step("language").review_label)
    assert f'<th scope="row">{escape(language)}</th><td>Esperanto</td>' in page.text


async def test_language_menu_and_dashboard_offer_the_configured_languages(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    phone = Phone(bot, api.person(7102, "Awa", language_code="fr"))
    menu = await phone.say("/language")
    assert [b["text"] for b in menu.buttons] == ["Français", "English", "Esperanto"]
    await phone.tap("Esperanto")
    assert phone.last.text.startswith(PSEUDO_OPEN)

    await add_account(bot, role="supervisor")
    async with browser(bot.web) as client:
        await sign_in(client)
        page = await client.get("/")
        assert [name in page.text for name in ("Français", "English", "Esperanto")] == [True] * 3
        accounts = await client.get("/accounts")  # the languages an account may have
        assert '<option value="eo">Esperanto</option>' in accounts.text
        response = await client.post(
            "/language", data={"language": PSEUDO, "csrf_token": token(page), "next": "/"}
        )
        assert response.status_code == 303
        switched = await client.get("/")
        assert 'lang="eo"' in switched.text
        tr = bot.catalogs.translator(PSEUDO)
        assert escape(tr.gettext("Pre-registrations")) in switched.text
