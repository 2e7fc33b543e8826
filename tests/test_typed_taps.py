"""Typed answers where a button would be: a label or a yes/no word is taken as the tap; a
miss gets a short hint with the buttons, and a second miss in a row an offer of a person."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime
from bot.conversations import load_flows, load_followups
from bot.engine import Kind
from bot.engine.words import Vocabulary
from bot.i18n import Catalogs
from bot.store import Flag, PreRegistration
from bot.vocabulary import vocabulary
from tests.helpers import Phone, session_state, table_rows
from tests.walker import complete_intake

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")
CONSENT_START = "can help you return home, if you choose to."
HINT_EN = "⚠️ Please tap one of the buttons below."
HINT_FR = "⚠️ Appuyez sur un des boutons ci-dessous, s'il vous plaît."


@pytest.fixture(scope="module")
def words() -> Vocabulary:
    flows = load_flows(ROOT / "conversations", LANGUAGES)
    followups = load_followups(ROOT / "conversations" / "followup.yaml")
    catalogs = Catalogs(ROOT / "locales", "fr", LANGUAGES)
    return vocabulary([*flows.values(), *followups.flows.values()], catalogs)


@pytest.mark.parametrize(
    ("step_id", "typed", "value"),
    [
        ("language", "Français", "fr"),
        ("language", "francais", "fr"),
        ("language", "ENGLISH", "en"),
        ("language", "anglais", "en"),  # its name in another offered language
        ("language", "French", "fr"),
        ("consent", "oui", "agree"),
        ("consent", "J'accepte", "agree"),
        ("consent", "Je suis d'accord.", "agree"),
        ("consent", "I agree", "agree"),
        ("consent", "non", "decline"),
        ("consent", "No", "decline"),
        ("voluntary", "oui", "yes"),
        ("voluntary", "Ouais", "yes"),
        ("voluntary", "d'accord", "yes"),
        ("voluntary", "OK", "yes"),
        ("voluntary", "Yes!", "yes"),
        ("voluntary", "non", "no"),
        ("voluntary", "J'hésite encore", "unsure"),
        ("sex", "homme", "male"),
        ("sex", "Femme", "female"),
        ("sex", "female", "female"),
        ("medical_needs", "oui", "yes"),  # a sensitive question: its labels only
        ("medical_needs", "Non", "no"),
        ("medical_needs", "no", "no"),
        ("guardian", "ouais", "yes"),
        ("guardian", "ok", "yes"),
        ("current_city", "fes", "fes"),
        ("current_city", "Tanger", "tangier"),
    ],
)
def test_a_typed_label_or_word_names_its_button(
    words: Vocabulary, step_id: str, typed: str, value: str
) -> None:
    step = load_flows(ROOT / "conversations", LANGUAGES)["intake"].step(step_id)
    assert words.tap(step, step.options, typed) == value


@pytest.mark.parametrize(
    ("step_id", "typed"),
    [
        ("voluntary", "je veux rentrer"),  # a sentence is not a button: it gets the hint
        ("voluntary", "oui non"),
        ("medical_needs", "ok"),  # "ok" may mean "I am fine": not a yes to a sensitive one
        ("pregnant", "d'accord"),
        ("protection", "ouais"),
        ("sex", "2"),  # Telegram shows no numbers on buttons
        ("sex", ""),
        ("sex", "!!!"),
        ("occupation", "trade"),  # a multiple choice takes taps only
        ("nationality", "Mali"),  # countries have their own matcher
    ],
)
def test_other_text_names_no_button(words: Vocabulary, step_id: str, typed: str) -> None:
    step = load_flows(ROOT / "conversations", LANGUAGES)["intake"].step(step_id)
    assert words.tap(step, step.options, typed) is None


def test_check_in_buttons_take_typed_words_too(words: Vocabulary) -> None:
    followups = load_followups(ROOT / "conversations" / "followup.yaml")
    yesno = next(
        step for flow in followups.flows.values() for step in flow.steps if step.kind is Kind.YESNO
    )
    assert words.tap(yesno, yesno.options, "Oui") == "yes"
    assert words.tap(yesno, yesno.options, "nope") == "no"


async def test_typed_french_answers_are_taken_as_taps(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="fr")
    await phone.say("/start")
    await phone.say("français")
    await phone.say("oui")  # the consent
    await phone.say("oui")  # of your own free will
    await phone.say("Awa Diallo")
    await phone.say("femme")
    state = await session_state(bot)
    assert {k: state.answers[k] for k in ("language", "consent", "voluntary", "sex")} == {
        "language": "fr",
        "consent": "agree",
        "voluntary": "yes",
        "sex": "female",
    }
    assert phone.last.text.startswith("Quelle est votre date de naissance")


async def test_typed_english_labels_are_taken_as_taps(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.say("English")
    await phone.say("I agree")
    await phone.say("Yes")
    await phone.say("Awa Diallo")
    await phone.say("Male")
    state = await session_state(bot)
    assert state.answers["sex"] == "male" and state.answers["voluntary"] == "yes"


async def test_a_typed_no_at_the_consent_declines(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="fr")
    await phone.say("/start")
    await phone.tap("Français")
    reply = await phone.say("non")
    assert reply.text.startswith("Nous respectons votre choix.")
    assert await table_rows(bot, PreRegistration) == []


async def test_a_miss_gets_a_short_hint_with_the_buttons(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="fr")
    await phone.say("/start")
    await phone.tap("Français")
    sent = len(phone.inbox)
    reply = await phone.say("je veux rentrer chez moi")  # at the long consent
    assert len(phone.inbox) == sent + 1
    assert reply.text == HINT_FR  # the consent is not sent again
    assert [b["text"] for b in reply.buttons][:2] == ["Je suis d'accord", "Je ne suis pas d'accord"]
    await phone.tap("Je suis d'accord")
    reply = await phone.say("je veux rentrer")
    assert reply.text == HINT_FR
    assert [b["callback_data"].rsplit("|")[-1] for b in reply.buttons] == ["yes", "unsure", "no"]


async def test_english_hint_and_typed_questions_keep_their_text(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.tap("English")
    assert CONSENT_START in phone.last.text  # the consent was asked
    reply = await phone.say("what is this?")
    assert reply.text == HINT_EN
    assert CONSENT_START not in reply.text
    await phone.tap("I agree")
    await phone.tap("Yes")
    reply = await phone.say("x")  # a typed question: its short text says what to type
    assert reply.text.startswith("⚠️ This answer is too short")
    assert reply.text.endswith("Write it as on your documents, if you have any.")


async def test_two_misses_in_a_row_offer_a_person(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.tap("English")
    await phone.tap("I agree")
    await phone.say("maybe later")
    assert phone.last.text == HINT_EN  # one miss: the hint only
    sent = len(phone.inbox)
    offer = await phone.say("I want to go home")
    assert len(phone.inbox) == sent + 1  # one message: the hint, the buttons and the offer
    assert offer.text == f"{HINT_EN}\n\nIs something not clear? A staff member can call you."
    assert [b["callback_data"].rsplit("|")[-1] for b in offer.buttons] == [
        "yes",
        "unsure",
        "no",
        "yes",  # !human|yes
    ]
    assert offer.buttons[-1] == {"text": "🙋 Talk to a person", "callback_data": "!human|yes"}
    await phone.tap("Talk to a person")
    assert phone.inbox[-2].text.startswith("We have noted that you want to talk to a person.")
    await complete_intake(phone)
    flags = {f["flag"] for f in await table_rows(bot, Flag)}
    assert "wants_human" in flags  # the same flag as /human


async def test_a_typed_question_offers_a_person_under_its_text(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.tap("English")
    await phone.tap("I agree")
    await phone.tap("Yes")
    await phone.say("x")
    reply = await phone.say("y")
    assert reply.text.startswith("⚠️ This answer is too short")
    assert reply.text.endswith("Is something not clear? A staff member can call you.")
    assert reply.buttons == [{"text": "🙋 Talk to a person", "callback_data": "!human|yes"}]


async def test_the_count_of_misses_starts_again_after_an_answer(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="fr")
    await phone.say("/start")
    await phone.tap("Français")
    await phone.say("hein ?")
    await phone.tap("Je suis d'accord")
    reply = await phone.say("hein ?")  # one miss at this question: no offer yet
    assert reply.text == HINT_FR
    assert all("human" not in b["callback_data"] for m in phone.inbox for b in m.buttons)
    reply = await phone.say("je ne sais pas")
    offer = "Quelque chose n'est pas clair\u00a0? Un membre de l'équipe peut vous appeler."
    assert reply.text == f"{HINT_FR}\n\n{offer}"
    assert (await session_state(bot)).misses == 2
    await phone.say("oui")
    assert (await session_state(bot)).misses == 0
