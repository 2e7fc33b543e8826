"""How typed countries, dates, phone numbers and yes/no words are read, as a table: what a person
types, in which language, and what the bot makes of it (a value, a question, or a
refusal). Countries and dates are read with the words of that language only (Babel's
names plus the conversation file's aliases), so a row also shows which language knows it.
Phone numbers are the same in every language."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from bot.app import country_index
from bot.conversations import load_flows
from bot.engine import (
    ChoiceInput,
    CountryIndex,
    DateWords,
    Event,
    Flow,
    Invalid,
    Rejected,
    TextInput,
)
from bot.engine.navigation import Position
from bot.engine.pending import phone_answer
from bot.engine.session import Session
from bot.engine.values import read_date
from bot.engine.words import Vocabulary
from bot.i18n import Catalogs, date_words
from bot.phones import parse_phone
from bot.vocabulary import vocabulary

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 27)
ASK = "ask"  # a narrower question comes first: which country, or is this the year


@cache
def intake() -> Flow:
    return load_flows(ROOT / "conversations", ("fr", "en"))["intake"]


@cache
def countries(language: str) -> CountryIndex:
    return country_index(intake(), Catalogs(ROOT / "locales", language, [language]))


@cache
def dates(language: str) -> DateWords:
    return DateWords.build(*date_words([language]))


COUNTRIES = [
    # (typed, language, a code, the codes asked about, or None when refused)
    ("Sénégalais", "fr", "SN"),
    ("Sénégalaise", "fr", "SN"),
    ("senegalaise", "fr", "SN"),
    ("SÉNÉGALAIS", "fr", "SN"),
    ("Camerounais", "fr", "CM"),
    ("camerounaise", "fr", "CM"),
    ("Ivoirien", "fr", "CI"),
    ("Ivoirienne", "fr", "CI"),
    ("Malien", "fr", "ML"),
    ("Malienne", "fr", "ML"),
    ("Guinéen", "fr", "GN"),
    ("guineenne", "fr", "GN"),
    ("Nigérian", "fr", "NG"),
    ("Nigériane", "fr", "NG"),
    ("Nigérien", "fr", ("NE", "NG")),
    ("Nigérienne", "fr", ("NE", "NG")),
    ("Burkinabè", "fr", "BF"),
    ("Burkinabé", "fr", "BF"),
    ("Burkina", "fr", "BF"),
    ("Congolais", "fr", ("CG", "CD")),
    ("Congolaise", "fr", ("CG", "CD")),
    ("Congo", "fr", ("CG", "CD")),
    ("RDC", "fr", "CD"),
    ("Côte d’Ivoire", "fr", "CI"),
    ("Sénégal", "fr", "SN"),
    ("Maroc", "fr", "MA"),
    ("Atlantide", "fr", None),
    ("Senegalese", "en", "SN"),
    ("Cameroonian", "en", "CM"),
    ("Ivorian", "en", "CI"),
    ("Malian", "en", "ML"),
    ("Guinean", "en", "GN"),
    ("Nigerian", "en", "NG"),
    ("Nigerien", "en", ("NE", "NG")),
    ("Burkinabe", "en", "BF"),
    ("Congolese", "en", ("CG", "CD")),
    ("Ivory Coast", "en", "CI"),
    ("Senegal", "en", "SN"),
    ("Senegall", "en", ("SN",)),  # a typo: suggested, not taken
    ("Atlantis", "en", None),
]


@pytest.mark.parametrize(("typed", "language", "expected"), COUNTRIES)
def test_country(typed: str, language: str, expected: str | tuple[str, ...] | None) -> None:
    codes, exact = countries(language).match(typed)
    if expected is None:
        assert codes == ()
    elif isinstance(expected, str):
        assert (codes, exact) == ((expected,), True)
    else:
        assert (codes, exact) == (expected, False)


DATES = [
    # (typed, language, the ISO date, (ASK, the full date to confirm), or the refusal)
    ("12 mars 1988", "fr", "1988-03-12"),
    ("12 MARS 1988", "fr", "1988-03-12"),
    ("1er janvier 1995", "fr", "1995-01-01"),
    ("1ère semaine", "fr", "date_format"),
    ("le 2 mai 1980", "fr", "1980-05-02"),
    ("3 février 1990", "fr", "1990-02-03"),
    ("3 fevrier 1990", "fr", "1990-02-03"),
    ("3 févr. 1990", "fr", "1990-02-03"),
    ("3 févr 1990", "fr", "1990-02-03"),
    ("3 fev 1990", "fr", "1990-02-03"),
    ("15 août 2000", "fr", "2000-08-15"),
    ("15 aout 2000", "fr", "2000-08-15"),
    ("7 juil. 1985", "fr", "1985-07-07"),
    ("7 juill 1985", "fr", "1985-07-07"),
    ("1 sept 1970", "fr", "1970-09-01"),
    ("25 déc 1999", "fr", "1999-12-25"),
    ("25-déc-1999", "fr", "1999-12-25"),
    ("12 mars 88", "fr", (ASK, "1988-03-12")),
    ("01/01/95", "fr", (ASK, "1995-01-01")),
    ("01/01/25", "fr", (ASK, "2025-01-01")),
    ("01/01/27", "fr", (ASK, "1927-01-01")),  # 1 January 2027 is not yet: a birth date
    ("31 juin 1990", "fr", "date_impossible"),
    ("12 mars 2030", "fr", "date_future"),
    ("12 Smarch 1988", "fr", "date_format"),
    ("March 12 1988", "fr", "date_format"),  # English month names are English
    ("25/12/1990", "fr", "1990-12-25"),
    ("1990-12-25", "fr", "1990-12-25"),
    ("March 12, 1988", "en", "1988-03-12"),
    ("12 Mar 1988", "en", "1988-03-12"),
    ("Mar 12 1988", "en", "1988-03-12"),
    ("12th of March 1988", "en", "1988-03-12"),
    ("1st January 1995", "en", "1995-01-01"),
    ("September 3, 1979", "en", "1979-09-03"),
    ("3 Sept 1979", "en", "1979-09-03"),
    ("Feb 29, 2000", "en", "2000-02-29"),
    ("Feb 29, 2001", "en", "date_impossible"),
    ("1er janvier 1995", "en", "date_format"),  # French month names are French
    ("December 25, 99", "en", (ASK, "1999-12-25")),
    ("01/01/95", "en", (ASK, "1995-01-01")),
    ("01/01/1850", "en", "date_too_old"),
]


@pytest.mark.parametrize(("typed", "language", "expected"), DATES)
def test_date_of_birth(typed: str, language: str, expected: str | tuple[str, str]) -> None:
    try:
        value, guessed = read_date(typed, TODAY, not_future=True, words=dates(language))
    except Invalid as refusal:
        assert refusal.reason == expected
        return
    assert ((ASK, value.isoformat()) if guessed else value.isoformat()) == expected


PHONES = [
    # (typed, language, nationality, the country tapped if asked, E.164 / (ASK, countries)
    #  / the refusal); the office is in Morocco
    ("77 123 45 67", "fr", "SN", None, (ASK, ("SN", "MA"))),
    ("77 123 45 67", "fr", "SN", "SN", "+221771234567"),
    ("77 123 45 67", "fr", "SN", "MA", "+212771234567"),
    ("771234567", "en", "SN", "SN", "+221771234567"),
    ("77.123.45.67", "fr", "SN", "SN", "+221771234567"),
    ("6 77 12 34 56", "fr", "CM", None, (ASK, ("CM", "MA"))),
    ("6 77 12 34 56", "fr", "CM", "CM", "+237677123456"),
    ("612345678", "en", "MA", None, (ASK, ("MA",))),
    ("612345678", "fr", "SN", "SN", "phone_not_of_country"),
    ("+221 77 123 45 67", "fr", "SN", None, "+221771234567"),
    ("00221 77 123 45 67", "fr", "SN", None, "+221771234567"),
    ("06 12 34 56 78", "fr", "SN", None, "+212612345678"),
    ("0612345678", "en", "SN", None, "+212612345678"),
    ("+212 612-345678", "en", "SN", None, "+212612345678"),
    ("+237 6 77 12 34 56", "fr", "CM", None, "+237677123456"),
    ("12345", "fr", "SN", None, "phone_invalid"),
    ("77 123 45", "fr", "SN", None, "phone_invalid"),
    ("76 12 34 56", "fr", "SN", None, "phone_invalid"),  # of neither country: give the code
    ("+221 77", "fr", "SN", None, "phone_invalid"),
    ("not a number", "en", "SN", None, "phone_invalid"),
]


@pytest.mark.parametrize(("typed", "language", "nationality", "tap", "expected"), PHONES)
def test_phone(
    typed: str,
    language: str,
    nationality: str,
    tap: str | None,
    expected: str | tuple[str, tuple[str, ...]],
) -> None:
    session = Session("intake", answers={"nationality": nationality})
    pos = Position("phone", intake().step("phone"))
    events: list[Event] = []
    try:
        value = phone_answer(intake(), session, pos, TextInput(typed), TODAY, parse_phone, events)
        if value is None and tap is not None:
            tapped = ChoiceInput("phone", session.revision, tap)
            value = phone_answer(intake(), session, pos, tapped, TODAY, parse_phone, events)
            if value is None:  # refused for that country: the refusal is an event
                value = next(e.reason for e in events if isinstance(e, Rejected))
    except Invalid as refusal:
        value = refusal.reason
    if value is None:
        assert (ASK, tuple(session.pending["regions"])) == expected
    else:
        assert value == expected


@cache
def words(language: str) -> Vocabulary:
    flows = [intake()]
    return vocabulary(flows, Catalogs(ROOT / "locales", language, [language]))


YES_NO = [
    # (typed, language, the value of the button it stands for, or None: the hint)
    ("oui", "fr", "yes"),
    ("Oui.", "fr", "yes"),
    ("OUI", "fr", "yes"),
    ("ouais", "fr", "yes"),
    ("d'accord", "fr", "yes"),
    ("D’accord !", "fr", "yes"),
    ("ok", "fr", "yes"),
    ("non", "fr", "no"),
    ("Non merci", "fr", None),
    ("peut-être", "fr", None),
    ("yes", "en", "yes"),
    ("Yes!", "en", "yes"),
    ("okay", "en", "yes"),
    ("sure", "en", "yes"),
    ("no", "en", "no"),
    ("Nope", "en", "no"),
    ("not at all", "en", "no"),
    ("maybe", "en", None),
    ("oui", "en", None),  # each language's own words: an English-only office has no "oui"
    ("2", "en", None),  # Telegram shows no numbers on buttons
]


@pytest.mark.parametrize(("typed", "language", "expected"), YES_NO)
def test_yes_or_no(typed: str, language: str, expected: str | None) -> None:
    step = intake().step("guardian")  # a yes/no question that is not sensitive
    assert words(language).tap(step, step.options, typed) == expected
