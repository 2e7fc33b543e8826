"""Translations read from locales/*.po at start-up, plus country names and dates from Babel."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations

SOURCE_LANGUAGE = "en"
_MONEY = "#,##0.00\u00a0¤¤"  # two decimals, then the currency's ISO code
# Babel's territory codes that are regions or placeholders, not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
# How people write dates beyond Babel's month names, by language: abbreviations Babel
# lacks ("fev", "sept"), ordinal endings ("1er", "1st") and words to skip ("le 3 mai").
# A language missing here still has its month names, from Babel.
_MONTH_ABBREVIATIONS = {
    "fr": {"jan": 1, "fev": 2, "juill": 7, "sep": 9},
    "en": {"sept": 9},
}
_ORDINALS = {"fr": ("er", "ere", "e", "eme"), "en": ("st", "nd", "rd", "th")}
_SKIPPED = {"fr": ("le",), "en": ("the", "of")}


@dataclass(frozen=True)
class Translator:
    """One language's gettext, with format-style parameters."""

    language: str
    translations: Translations

    def gettext(self, message: str, **params: object) -> str:
        text: str = self.translations.gettext(message)
        return text.format(**params) if params else text

    def country(self, code: str) -> str:
        return country_name(code, self.language)

    def date(self, value: date) -> str:
        return str(format_date(value, format="long", locale=self.language))

    def money(self, cents: int, currency: str = "USD") -> str:
        """An amount in whole cents with its ISO code, as the language writes numbers
        ("1,250.50 MAD", "1 250,50 MAD"): a code, unlike "$", names one currency only."""
        amount = Decimal(cents) / 100
        return str(
            format_currency(amount, currency, _MONEY, locale=self.language, currency_digits=False)
        )


class Catalogs:
    """Every language of locales/, loaded once; `translator(lang)` never fails."""

    def __init__(
        self, directory: Path, default: str | None = None, languages: Iterable[str] | None = None
    ) -> None:
        """Load the catalogs of `languages` (every one in `directory` when None); `default`
        is the language of unknown ones (when None or not loaded: the source language if
        loaded, else the first)."""
        self.directory = directory
        if languages is None:
            found = (po.parent.parent.name for po in directory.glob("*/LC_MESSAGES/messages.po"))
            languages = sorted({*found, SOURCE_LANGUAGE})
        offered = tuple(dict.fromkeys(languages))
        self._translators: dict[str, Translator] = {}
        self._translated: dict[str, frozenset[str]] = {}
        for language in offered:  # in the order offered: the buttons show them so
            po = directory / language / "LC_MESSAGES" / "messages.po"
            if po.is_file():
                translations, translated = _load_po(po, language)
                self._translators[language] = Translator(language, translations)
                self._translated[language] = translated
            elif language == SOURCE_LANGUAGE:
                self._translators[language] = Translator(language, Translations())
        if not self._translators:
            raise ValueError(f"no catalog in {directory} for any of {sorted(offered)}")
        fallback = SOURCE_LANGUAGE if SOURCE_LANGUAGE in self._translators else self.languages[0]
        self.default = default if default and default in self._translators else fallback

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages loaded, in the order they were offered (every one found: sorted)."""
        return tuple(self._translators)

    def translator(self, language: str | None) -> Translator:
        return self._translators.get(language or "", self._translators[self.default])

    def known_messages(self) -> dict[str, frozenset[str]]:
        """For each language but the source one: the message ids it translates."""
        return {lang: ids for lang, ids in self._translated.items() if lang != SOURCE_LANGUAGE}

    def negotiate(self, language_code: str | None) -> str:
        """The supported language of a Telegram client's language_code ('fr-FR' -> 'fr')."""
        base = (language_code or "").split("-")[0].lower()
        return base if base in self._translators else self.default


def _load_po(path: Path, language: str) -> tuple[Translations, frozenset[str]]:
    """Compile a .po in memory (fuzzy entries are left out, as gettext would)."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translated = frozenset(str(m.id) for m in catalog if m.id and m.string and not m.fuzzy)
    return Translations(fp=buffer), translated


@cache
def _territories(language: str) -> dict[str, str]:
    names = Locale.parse(language).territories
    return {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def language_name(code: str) -> str:
    """A language's name in itself: 'Français', 'English'."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_names(code: str, languages: Iterable[str]) -> list[str]:
    """A language's names: its own, and its name in each of `languages` ('anglais')."""
    names = [language_name(code)]
    for language in languages:
        if name := Locale.parse(language).languages.get(code):
            names.append(name)
    return names


def country_name(code: str, language: str) -> str:
    return _territories(language).get(code, code)


def date_words(
    languages: Iterable[str],
) -> tuple[list[tuple[str, int]], list[str], list[str]]:
    """The words of dates in `languages`: (name, month) pairs, full and short (Babel's and
    common ones), ordinal endings, and words to skip; for the engine's `DateWords.build`,
    to read '12 mars 1988' or 'March 12, 1988'."""
    months: list[tuple[str, int]] = []
    ordinals: list[str] = []
    skipped: list[str] = []
    for language in languages:
        names = Locale.parse(language).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                months.extend((name, month) for month, name in names[context][width].items())
        months.extend(_MONTH_ABBREVIATIONS.get(language, {}).items())
        ordinals.extend(_ORDINALS.get(language, ()))
        skipped.extend(_SKIPPED.get(language, ()))
    return months, ordinals, skipped


def country_names(languages: Iterable[str]) -> dict[str, list[str]]:
    """Every country code with its names in each language, for matching typed names."""
    result: dict[str, list[str]] = {}
    for language in languages:
        for code, name in _territories(language).items():
            result.setdefault(code, []).append(name)
    return result
