"""A report's figures as displayable cells: the one place small cells are suppressed, and
the tables, sections and statistics (median, percentile) the reports are made of."""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass, field

from babel.numbers import get_decimal_symbol, get_group_symbol

SMALL = 5  # counts of 1 to 4 people or cases, and figures resting on fewer, are hidden
HIDDEN_COUNT = "<5"
HIDDEN_FIGURE = "n<5"


class Measure(enum.Enum):
    """What a figure measures, which says how it is shown."""

    COUNT = "count"  # cases or people
    MONEY = "money"  # cents
    SCORE = "score"  # 0 to 1
    DAYS = "days"
    RATE = "rate"  # 0 to 1


@dataclass(frozen=True)
class Figure:
    """A raw figure and, for anything but a count, how many cases it rests on."""

    value: float | None
    measure: Measure = Measure.COUNT
    n: int | None = None


@dataclass(frozen=True)
class Cell:
    """A figure as shown: `text` for the page; `number` for downloads and charts, None when
    the figure is hidden or there is none."""

    text: str
    number: float | None


def cell(figure: Figure, language: str) -> Cell:
    """The one place small cells are suppressed: a count from 1 to 4 shows "<5"; an
    average, median, rate or sum resting on fewer than 5 cases shows "n<5". A zero count
    shows 0: it tells nothing about anyone, and the reader sees nobody is there."""
    value = figure.value
    if figure.measure is Measure.COUNT:
        count = int(value or 0)
        if 0 < count < SMALL:
            return Cell(HIDDEN_COUNT, None)
        return Cell(_local(f"{count:,}", language), count)
    if figure.n is not None and figure.n < SMALL:
        return Cell(HIDDEN_FIGURE if figure.n else "", None)
    if value is None:
        return Cell("", None)
    if figure.measure is Measure.MONEY:
        dollars = round(value / 100, 2)
        return Cell(_local(f"{dollars:,.2f}", language), dollars)
    if figure.measure is Measure.RATE:
        percent = round(value * 100, 1)
        text = f"{percent:.1f}".removesuffix(".0")
        return Cell(_local(text, language) + "\u00a0%", percent)
    if figure.measure is Measure.SCORE:
        score = round(value, 2)
        text = f"{score:.2f}".rstrip("0")
        return Cell(_local(text + "0" if text.endswith(".") else text, language), score)
    days = round(value, 1)
    return Cell(_local(f"{days:.1f}", language), days)


@functools.cache
def _symbols(language: str) -> tuple[str, str]:
    """The language's grouping and decimal signs (Babel's, looked up once)."""
    return get_group_symbol(locale=language), get_decimal_symbol(locale=language)


def _local(text: str, language: str) -> str:
    """A number written by Python ("1,234.5") with the language's signs."""
    group, decimal = _symbols(language)
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: a kind of chart, and which of its columns are the series."""

    kind: str  # "bar", "hbar", "line"
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    """One table of figures, already suppressed: a header per column, a label per row."""

    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    chart: Chart | None = None
    totalled: bool = False  # the last row adds up the others: not drawn beside them


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    sections: list[Section]
    nationalities: list[str] = field(default_factory=list)  # of every counted case


def nth(histogram: dict[int, int], rank: int) -> int:
    """The `rank`-th smallest value (from 1) of a histogram value -> how many."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise ValueError(f"rank {rank} past the {seen} values")


def median(histogram: dict[int, int]) -> float | None:
    """The median: the middle value, or the mean of the two middle ones."""
    n = sum(histogram.values())
    if not n:
        return None
    return (nth(histogram, (n + 1) // 2) + nth(histogram, n // 2 + 1)) / 2


def percentile_90(histogram: dict[int, int]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value at or above 90% of them."""
    n = sum(histogram.values())
    return float(nth(histogram, math.ceil(0.9 * n))) if n else None
