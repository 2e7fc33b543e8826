"""Parsing and validating typed answers: dates, numbers, text and country names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

_DMY = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4}|\d{2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{1,2})([a-z]*)$")
_YEAR = re.compile(r"^\d{4}$|^\d{2}$")
OLDEST_YEAR = 1900


class Invalid(Exception):
    """A typed answer was refused; `reason` names a message the channel translates."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class DateWords:
    """The words of written dates, folded: month names and abbreviations, ordinal
    endings ('1er', '1st'), and little words to skip ('le', 'of'). Handed in by the
    caller, so the engine reads dates in whatever languages it is given."""

    months: Mapping[str, int] = field(default_factory=dict)
    ordinals: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        months: Iterable[tuple[str, int]],
        ordinals: Iterable[str] = (),
        skipped: Iterable[str] = (),
    ) -> DateWords:
        """Fold every word; a month name already taken keeps its first month."""
        folded: dict[str, int] = {}
        for name, month in months:
            if key := fold(name):
                folded.setdefault(key, month)
        return cls(folded, frozenset(map(fold, ordinals)), frozenset(map(fold, skipped)))


def parse_date(
    text: str, today: date, *, not_future: bool = False, words: DateWords = DateWords()
) -> date:
    """Read dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, 'dd mm yyyy', yyyy-mm-dd, or with the
    month's name ('12 mars 1988', 'March 12, 1988'); a two-digit year is given a century."""
    return read_date(text, today, not_future=not_future, words=words)[0]


def read_date(
    text: str, today: date, *, not_future: bool = False, words: DateWords = DateWords()
) -> tuple[date, bool]:
    """The date, and whether its century was chosen here (the year had two digits)."""
    text = text.strip()
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
        short = len(m.group(3)) == 2
    elif m := _YMD.match(text):
        year, month, day = (int(g) for g in m.groups())
        short = False
    elif (named := _named_date(text, words)) is not None:
        day, month, year, short = named
    else:
        raise Invalid("date_format")
    if short:
        year = _century(year, month, day, today, not_future)
    try:
        value = date(year, month, day)
    except ValueError:
        raise Invalid("date_impossible") from None
    if not_future and value > today:
        raise Invalid("date_future")
    if value.year < OLDEST_YEAR:
        raise Invalid("date_too_old")
    return value, short


def _named_date(text: str, words: DateWords) -> tuple[int, int, int, bool] | None:
    """Day, month, year and whether the year is short, from 'day month year' or
    'month day year' with the month written as a word; None if the text is neither."""
    tokens = [t for t in fold(text).split() if t not in words.skipped]
    if len(tokens) != 3 or not _YEAR.match(tokens[2]):
        return None
    first, second, year = tokens
    if first in words.months:
        first, second = second, first
    day = _DAY.match(first)
    month = words.months.get(second)
    if day is None or month is None or (day.group(2) and day.group(2) not in words.ordinals):
        return None
    return int(day.group(1)), month, int(year), len(year) == 2


def _century(year: int, month: int, day: int, today: date, not_future: bool) -> int:
    """The full year of a two-digit one: the latest not after today when the date may not
    be in the future (a birth date), else the nearest to today."""
    recent, older = 2000 + year, 1900 + year
    if not_future:
        return recent if (recent, month, day) <= (today.year, today.month, today.day) else older
    return recent if abs(recent - today.year) < abs(older - today.year) else older


def parse_year(text: str, today: date) -> str | None:
    """A year alone ('1990'), for people who know no more; None if the text is not one."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}", text):
        return None
    if not OLDEST_YEAR <= int(text) <= today.year:
        raise Invalid("date_too_old" if int(text) < OLDEST_YEAR else "date_future")
    return text


def parse_number(text: str, low: int | None, high: int | None) -> int:
    """An integer, within [low, high] when given."""
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,6}", text):
        raise Invalid("number_format")
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        raise Invalid("number_range", min=low, max=high)
    return value


def clean_text(text: str, low: int | None, high: int | None) -> str:
    """Drop control characters, collapse white space, and check the length bounds."""
    printable = "".join(c if unicodedata.category(c) != "Cc" else " " for c in text)
    value = " ".join(printable.split())
    if low is not None and len(value) < low:
        raise Invalid("text_too_short", min=low)
    if high is not None and len(value) > high:
        raise Invalid("text_too_long", max=high)
    return value


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation: 'Côte d’Ivoire' -> 'cote d ivoire'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@dataclass
class CountryIndex:
    """Country names in every language plus aliases, folded for matching."""

    names: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        names_by_code: Mapping[str, Iterable[str]],
        ambiguous: Mapping[str, Iterable[str]] = {},
    ) -> CountryIndex:
        index = cls()
        for code, names in names_by_code.items():
            for name in names:
                index.names.setdefault(fold(name), code)
        for name, codes in ambiguous.items():
            index.ambiguous[fold(name)] = tuple(codes)
        return index

    def match(self, text: str) -> tuple[tuple[str, ...], bool]:
        """Codes the text may mean, and whether the match is exact (else: ask which)."""
        key = fold(text)
        if not key:
            return (), False
        if key in self.ambiguous:
            return self.ambiguous[key], False
        if key in self.names:
            return (self.names[key],), True
        close = difflib.get_close_matches(key, list(self.names), n=3, cutoff=0.8)
        return tuple(dict.fromkeys(self.names[c] for c in close)), False
