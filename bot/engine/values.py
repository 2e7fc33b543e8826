"""Parsing and validating typed answers: dates, numbers, text and country names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

_DMY = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
OLDEST_YEAR = 1900


class Invalid(Exception):
    """A typed answer was refused; `reason` names a message the channel translates."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def parse_date(text: str, today: date, *, not_future: bool = False) -> date:
    """Read dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, 'dd mm yyyy' or yyyy-mm-dd."""
    text = text.strip()
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _YMD.match(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise Invalid("date_format")
    try:
        value = date(year, month, day)
    except ValueError:
        raise Invalid("date_impossible") from None
    if not_future and value > today:
        raise Invalid("date_future")
    if value.year < OLDEST_YEAR:
        raise Invalid("date_too_old")
    return value


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
