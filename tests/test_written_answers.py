"""Countries, dates and phone numbers as people write them, over the real PTB pipeline:
demonyms, month names, two-digit years confirmed, a number without its country asked
about, and someone else's contact card refused and kept nowhere."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from babel import Locale
from sqlalchemy import select

from bot.app import Runtime
from bot.chat.transport import OfflineBotAPI
from bot.lifecycle import running
from bot.store.models import Base
from tests.helpers import Phone, RemotePhone, session_state, wait_for
from tests.walker import answer_until

DEMONYMS = [
    ("fr", "Sénégalais", "SN"),
    ("fr", "Sénégalaise", "SN"),
    ("fr", "Camerounais", "CM"),
    ("fr", "Camerounaise", "CM"),
    ("fr", "Ivoirien", "CI"),
    ("fr", "Ivoirienne", "CI"),
    ("fr", "Malien", "ML"),
    ("fr", "Malienne", "ML"),
    ("fr", "Guinéen", "GN"),
    ("fr", "Guinéenne", "GN"),
    ("fr", "Nigérian", "NG"),
    ("fr", "Nigériane", "NG"),
    ("fr", "Burkinabè", "BF"),
    ("fr", "Burkina", "BF"),
    ("en", "Senegalese", "SN"),
    ("en", "Cameroonian", "CM"),
    ("en", "Ivorian", "CI"),
    ("en", "Malian", "ML"),
    ("en", "Guinean", "GN"),
    ("en", "Nigerian", "NG"),
    ("en", "Burkinabe", "BF"),
]


@pytest.mark.parametrize(("language", "typed", "code"), DEMONYMS)
async def test_a_demonym_answers_the_nationality(
    bot: Runtime, phone_factory: Any, language: str, typed: str, code: str
) -> None:
    phone: Phone = phone_factory(language=language)
    await answer_until(phone, "nationality", language=language)
    reply = await phone.say(typed)
    tr = bot.catalogs.translator(language)
    assert reply.text == tr.gettext(
        "On which phone number can staff call you? Tap the button below to share this "
        "phone's number, or type a number."
    )
    assert (await session_state(bot)).answers["nationality"] == code


@pytest.mark.parametrize(
    ("language", "typed", "codes"),
    [
        ("fr", "Congolais", ["CG", "CD"]),
        ("fr", "Congolaise", ["CG", "CD"]),
        ("en", "Congolese", ["CG", "CD"]),
        ("fr", "Congo", ["CG", "CD"]),
        ("fr", "Nigérienne", ["NE", "NG"]),
        ("en", "Nigerien", ["NE", "NG"]),
    ],
)
async def test_an_ambiguous_demonym_asks_which_country(
    bot: Runtime, phone_factory: Any, language: str, typed: str, codes: list[str]
) -> None:
    phone: Phone = phone_factory(language=language)
    await answer_until(phone, "nationality", language=language)
    reply = await phone.say(typed)
    tr = bot.catalogs.translator(language)
    assert reply.text.endswith(tr.gettext("Which one do you mean?"))
    names = [tr.country(code) for code in codes]
    assert [b["text"] for b in reply.buttons] == [*names, tr.gettext("Other country")]
    assert "nationality" not in (await session_state(bot)).answers
    await phone.tap(names[1])
    assert (await session_state(bot)).answers["nationality"] == codes[1]


def _month_names(language: str) -> list[tuple[str, int]]:
    months = Locale.parse(language).months["format"]
    return [(name, n) for width in ("wide", "abbreviated") for n, name in months[width].items()]


MONTHS = [("fr", f"3 {name} 1990", f"1990-{n:02d}-03") for name, n in _month_names("fr")] + [
    ("en", f"{name} 3, 1990", f"1990-{n:02d}-03") for name, n in _month_names("en")
]
MONTHS += [
    ("fr", "12 mars 1988", "1988-03-12"),
    ("fr", "1er janvier 1995", "1995-01-01"),
    ("fr", "3 fevrier 1990", "1990-02-03"),
    ("fr", "3 févr 1990", "1990-02-03"),
    ("fr", "3 fev 1990", "1990-02-03"),
    ("fr", "15 aout 1990", "1990-08-15"),
    ("en", "March 12, 1988", "1988-03-12"),
    ("en", "12 Mar 1988", "1988-03-12"),
    ("en", "1st of January 1995", "1995-01-01"),
    ("en", "3 Sept 1990", "1990-09-03"),
]


@pytest.mark.parametrize(("language", "typed", "stored"), MONTHS)
async def test_a_date_with_the_month_in_words(
    bot: Runtime, phone_factory: Any, language: str, typed: str, stored: str
) -> None:
    phone: Phone = phone_factory(language=language)
    await answer_until(phone, "date_of_birth", language=language)
    reply = await phone.say(typed)
    tr = bot.catalogs.translator(language)
    assert reply.text == tr.gettext("What is your nationality?")
    assert (await session_state(bot)).answers["date_of_birth"] == stored


TWO_DIGITS = {
    "en": "You wrote the year with two digits. Do you mean January 1, 1995?",
    "fr": "Vous avez écrit l'année avec deux chiffres. Voulez-vous dire le 1 janvier 1995 ?",
}


@pytest.mark.parametrize(("language", "yes", "no"), [("en", "Yes", "No"), ("fr", "Oui", "Non")])
async def test_a_two_digit_year_is_confirmed_before_it_is_kept(
    bot: Runtime, phone_factory: Any, language: str, yes: str, no: str
) -> None:
    question = TWO_DIGITS[language]
    phone: Phone = phone_factory(language=language)
    await answer_until(phone, "date_of_birth", language=language)
    tr = bot.catalogs.translator(language)
    asked_again = tr.gettext(
        "What is your date of birth? Write it like this: 25/12/1990. "
        "If you only know the year, write the year: 1990."
    )
    reply = await phone.say("01/01/95")
    assert reply.text == f"{asked_again}\n\n{question}"
    assert [b["text"] for b in reply.buttons] == [yes, no]
    assert "date_of_birth" not in (await session_state(bot)).answers
    assert (await phone.tap(no)).text == asked_again  # no: the date is asked again
    assert "date_of_birth" not in (await session_state(bot)).answers
    await phone.say("01/01/95")
    assert (await phone.tap(yes)).text == tr.gettext("What is your nationality?")
    assert (await session_state(bot)).answers["date_of_birth"] == "1995-01-01"


@pytest.mark.parametrize(
    ("language", "question", "buttons"),
    [
        (
            "en",
            "Which country is the number 77 123 45 67 from?",
            ["Senegal", "Morocco", "Another country"],
        ),
        (
            "fr",
            "De quel pays est le numéro 77 123 45 67 ?",
            ["Sénégal", "Maroc", "Un autre pays"],
        ),
    ],
)
async def test_a_number_without_its_country_asks_which_country(
    bot: Runtime, phone_factory: Any, language: str, question: str, buttons: list[str]
) -> None:
    phone: Phone = phone_factory(language=language)
    await answer_until(phone, "nationality", language=language)
    await phone.say("Sénégalaise" if language == "fr" else "Senegalese")
    reply = await phone.say("77 123 45 67")
    assert reply.text.endswith(f"\n\n{question}")
    assert [b["text"] for b in reply.buttons] == buttons
    assert "phone" not in (await session_state(bot)).answers  # no +212 put in front
    await phone.tap(buttons[0])
    assert (await session_state(bot)).answers["phone"] == "+221771234567"
    assert reply.buttons == []  # the country question lost its buttons
    saved = phone.inbox[-2]  # and the share button's keyboard went with the answer
    assert (saved.text, saved.reply_markup) == ("✅ +221771234567", {"remove_keyboard": True})


@pytest.mark.parametrize(
    ("nationality", "typed", "asked", "stored"),
    [
        ("Algeria", "0661234567", ["Algeria", "Morocco"], "+213661234567"),  # valid in both
        ("Nigerian", "08031234567", None, "+2348031234567"),  # Nigeria's only
        ("Senegalese", "06 12 34 56 78", None, "+212612345678"),  # Morocco's only
    ],
)
async def test_a_national_number_valid_in_two_countries_asks_which(
    bot: Runtime,
    phone_factory: Any,
    nationality: str,
    typed: str,
    asked: list[str] | None,
    stored: str,
) -> None:
    phone: Phone = phone_factory(language="en")
    await answer_until(phone, "nationality", language="en")
    await phone.say(nationality)
    reply = await phone.say(typed)
    if asked is not None:
        assert reply.text.endswith(f"Which country is the number {typed} from?")
        assert [b["text"] for b in reply.buttons] == [*asked, "Another country"]
        assert "phone" not in (await session_state(bot)).answers  # nothing assumed
        await phone.tap(asked[0])
    assert (await session_state(bot)).answers["phone"] == stored


async def test_another_country_asks_for_the_number_with_its_code(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await answer_until(phone, "nationality", language="en")
    await phone.say("Senegalese")
    await phone.say("76 12 34 56")  # a Malian number: neither Senegal's nor Morocco's
    assert phone.last.text.startswith("⚠️ This phone number does not look right.")
    await phone.say("612345678")
    reply = await phone.tap("Another country")
    assert reply.text.endswith(
        "Please type the number with its country code, for example +221 77 123 45 67."
    )
    await phone.say("223 76 12 34 56")
    assert (await session_state(bot)).answers["phone"] == "+22376123456"


async def test_a_country_the_number_does_not_fit_is_refused(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await answer_until(phone, "nationality", language="en")
    await phone.say("Senegalese")
    await phone.say("612345678")  # a Moroccan mobile
    reply = await phone.tap("Senegal")
    assert reply.text.startswith("⚠️ This number does not exist in the country you chose.")
    assert reply.text.endswith("with its country code, for example +221 77 123 45 67.")
    assert "phone" not in (await session_state(bot)).answers


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_someone_elses_contact_card_is_refused_and_kept_nowhere(
    bot: Runtime, api: OfflineBotAPI, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    person = api.person(7301, "Awa", language)

    async def receive(update: dict[str, Any]) -> None:
        await bot.inbox.receive([update])  # stored in the inbox first, as Telegram's are

    phone = RemotePhone(person, post=receive, wait=wait_for)
    with caplog.at_level(logging.DEBUG):
        async with running(bot):
            await answer_until(phone, "phone", language=language)
            count = len(person.inbox)
            card = person.contact("+221 76 555 44 33")
            card["message"]["contact"]["user_id"] = 7302  # a friend's card, from the address book
            await receive(card)
            await wait_for(lambda: len(person.inbox) > count)
            refusal = person.last
            await phone.say("+221 77 123 45 67")
    tr = bot.catalogs.translator(language)
    assert refusal.text.startswith(
        "⚠️ "
        + tr.gettext(
            "This is someone else's number: it has not been saved. "
            "Please type your own phone number, or share your own number with the button."
        )
    )
    assert refusal.keyboard[0]["request_contact"] is True  # their own can still be shared
    assert (await session_state(bot)).answers["phone"] == "+221771234567"
    async with bot.store.unit() as unit:
        for table in Base.metadata.sorted_tables:
            rows = (await unit.connection.execute(select(table))).all()
            assert "5554433" not in str(rows).replace(" ", ""), table.name
    assert "5554433" not in caplog.text.replace(" ", "")


async def test_the_senders_own_contact_card_is_taken(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await answer_until(phone, "phone", language="en")
    await phone.send(phone.person.contact("221771234567"))
    assert (await session_state(bot)).answers["phone"] == "+221771234567"
