"""The consent: a short summary with the office's facts, the full notice behind "Read more",
the same in French and English, and its version kept for who agreed to it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.app import build, office_facts
from bot.chat.transport import OfflineBotAPI
from bot.config import ROOT, Settings
from bot.engine import Kind
from bot.store import AuditEvent, Person
from tests.helpers import Clock, Phone, table_rows
from tests.walker import answer_until, complete_intake, intake_flow

SUMMARY_LIMIT = 500
HOURS = {"en": "Monday to Friday, 9:00 to 16:00", "fr": "du lundi au vendredi, de 9 h à 16 h"}
ADDRESS = "12 avenue Mohammed V, Rabat"
# What each language must show: the settings' facts, in that language.
FACTS = {
    "en": {
        "recipients": ("your consulate", "the authorities here", "our office or partner"),
        "agree": ("I agree", "I do not agree", "📄 Read more"),
        "whys": (
            "Your consulate: your identity, to issue a travel document",
            "The authorities here: your identity and travel details, for the formalities "
            "of leaving the country",
        ),
        "retention": "180 days after",
        "abandoned": "after 20 days",
    },
    "fr": {
        "recipients": ("votre consulat", "les autorités d'ici", "notre bureau ou partenaire"),
        "agree": ("Je suis d'accord", "Je ne suis pas d'accord", "📄 En savoir plus"),
        "whys": (
            "Votre consulat\xa0: votre identité, pour faire un document de voyage",
            "Les autorités d'ici\xa0: votre identité et les détails de votre voyage, pour "
            "les formalités de sortie du pays",
        ),
        "retention": "180 jours après",
        "abandoned": "après 20 jours",
    },
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """An office whose facts differ from every default: each must come from here."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=database_url,
        telegram_bot_token=None,
        office_name="OIM Rabat",
        office_contact="+212 537 00 00 00",
        office_address=ADDRESS,
        office_hours=HOURS,
        retention_days=180,
        abandoned_days=20,
    )


def labels(message: Any) -> list[str]:
    return [b["text"] for b in message.buttons]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_consent_summary_is_short_and_names_the_offices_facts(
    language: str, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(7101, language=language)
    await phone.say("/start")
    summary = await phone.choose(language)
    facts = FACTS[language]
    assert len(summary.text) <= SUMMARY_LIMIT, len(summary.text)
    assert summary.text.count("OIM Rabat") == 2  # who asks, and who keeps the answers
    assert facts["retention"] in summary.text
    for name in facts["recipients"]:
        assert name in summary.text
    assert "/mydata" in summary.text and "/delete" in summary.text
    assert labels(summary) == list(facts["agree"])
    assert "IOM" not in summary.text.replace("OIM", "")  # no default left in


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_read_more_shows_the_full_notice_whose_buttons_still_answer(
    language: str, bot: Any, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(7102, language=language)
    await phone.say("/start")
    summary = await phone.choose(language)
    answers = [b["callback_data"] for b in summary.buttons[:2]]
    details = await phone.tap(FACTS[language]["agree"][2])
    assert details.message_id != summary.message_id  # a message of its own
    assert len(details.text) > 2 * len(summary.text)
    for why in FACTS[language]["whys"]:
        assert why in details.text
    assert ADDRESS in details.text and HOURS[language] in details.text
    assert FACTS[language]["retention"] in details.text
    assert FACTS[language]["abandoned"] in details.text
    assert "{" not in details.text and " \n" not in details.text
    # The summary's agree and decline buttons move under the notice (one live keyboard
    # at a time), the same answers; no second "Read more".
    assert labels(details) == list(FACTS[language]["agree"][:2])
    assert [b["callback_data"] for b in details.buttons] == answers
    assert summary.buttons == []
    question = await phone.choose("agree")  # the newest "agree": under the full notice
    assert question.buttons[0]["callback_data"].endswith("|voluntary|yes")
    (person,) = await table_rows(bot, Person)
    assert person["consent_version"] == bot.flow.step("consent").version


async def test_read_more_after_agreeing_shows_the_notice_without_buttons(
    phone_factory: Any,
) -> None:
    phone: Phone = phone_factory(7103, language="en")
    await phone.say("/start")
    await phone.choose("en")
    summary = phone.last
    await phone.choose("agree")
    count = len(phone.inbox)
    details = await phone.send(phone.person.tap(data="!consent|more", message=summary))
    assert len(phone.inbox) == count + 1
    assert details.text.startswith("How OIM Rabat uses your answers")
    assert details.buttons == []


async def test_someone_who_agreed_to_the_old_consent_is_not_asked_again_mid_intake(
    settings: Settings, api: OfflineBotAPI, clock: Clock, tmp_path: Path
) -> None:
    # Yesterday's conversation file: the same questions, the consent of version 2026-11.
    old = tmp_path / "old-conversations"
    shutil.copytree(ROOT / "conversations", old)
    current = intake_flow().step("consent").version
    text = (old / "intake.yaml").read_text(encoding="utf-8")
    (old / "intake.yaml").write_text(
        text.replace(f'version: "{current}"', 'version: "2026-11"'), encoding="utf-8"
    )
    assert current != "2026-11"
    old_settings = settings.model_copy(update={"conversations_dir": old})
    before = await build(old_settings, offline=api, clock=clock)
    await before.start()
    phone = Phone(before, api.person(7104, "Awa", "en"))
    await answer_until(phone, "sex", language="en")  # agreed, then two answers
    await before.stop()

    after = await build(settings, offline=api, clock=clock)  # the new consent is live
    await after.start()
    try:
        phone = Phone(after, phone.person)
        seen = len(phone.inbox)
        offer = await phone.say("/start")
        assert labels(offer) == ["Continue", "Start again"]
        question = await phone.tap("Continue")
        assert question.buttons[0]["callback_data"].endswith("|sex|female")
        reference = await complete_intake(phone)
        consent_prompt = after.renderer.facts.consent_text(
            after.catalogs.translator("en"), after.flow.step("consent").prompt
        )
        assert all(consent_prompt not in m.text for m in phone.inbox[seen:])
        assert all("!consent|more" not in str(m.reply_markup) for m in phone.inbox[seen:])
        (person,) = await table_rows(after, Person)
        assert person["consent_version"] == "2026-11"  # what they agreed to, kept
        given = [e for e in await table_rows(after, AuditEvent) if e["action"] == "consent.given"]
        assert len(given) == 1
        assert reference.startswith("AVR-")
    finally:
        await after.stop()


# Parity of the French consent with the English, in structure: the sentence-by-sentence
# reading of their facts is described with the change that introduced them.

_SENTENCE_END = re.compile(r"[.?!](?=\s|$)")
_PLACEHOLDER = re.compile(r"\{\w+\}")
_COMMAND = re.compile(r"/[a-z]+")


def _shape(text: str) -> list[tuple[int, list[str], list[str]]]:
    """Per line: its sentences, placeholders and commands, in order."""
    return [
        (
            len(_SENTENCE_END.findall(line)),
            _PLACEHOLDER.findall(line),
            _COMMAND.findall(line),
        )
        for line in text.split("\n")
    ]


def _consent_texts() -> list[str]:
    step = intake_flow().step("consent")
    assert step.kind is Kind.CONSENT and step.notice
    return [step.prompt, step.notice]


@pytest.mark.parametrize("which", ["summary", "notice"])
def test_the_french_consent_has_the_english_ones_shape(which: str, bot: Any) -> None:
    english = _consent_texts()[0 if which == "summary" else 1]
    french = bot.catalogs.translator("fr").gettext(english)
    assert french != english
    # The same lines and paragraphs, the same number of sentences in each line, and the
    # same facts filled in at the same places (placeholders and commands).
    assert _shape(french) == _shape(english)


def test_the_default_recipients_read_the_same_in_both_languages(bot: Any) -> None:
    facts = office_facts(bot.settings)
    english = facts.consent_facts(bot.catalogs.translator("en"))
    french = facts.consent_facts(bot.catalogs.translator("fr"))
    assert english["recipient_list"] != french["recipient_list"]
    assert str(english["recipient_list"]).count("\n") == str(french["recipient_list"]).count("\n")
    for entry_en, entry_fr in zip(
        str(english["recipient_list"]).split("\n"),
        str(french["recipient_list"]).split("\n"),
        strict=True,
    ):
        assert entry_en.startswith("• ") and entry_fr.startswith("• ")
        assert entry_en.count(",") == entry_fr.count(",")
