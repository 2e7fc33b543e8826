"""Conditions on earlier answers, used by `when:` on steps and by flag rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

OPERATORS = frozenset(
    {"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "has", "answered", "age_lt", "age_gte"}
)


@dataclass(frozen=True)
class Test:
    """`answers[step] <op> value`; a missing answer fails every test but `answered: false`."""

    step: str
    op: str
    value: Any


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyItem:
    """True when some item of a repeat group's answer satisfies `condition`."""

    step: str
    condition: Condition


Condition = Test | All | AnyOf | AnyItem


def age_on(born: date, today: date) -> int:
    """Whole years between `born` and `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _birth_date(value: str, youngest: bool) -> date | None:
    """A stored date, or for a year alone the day that errs on the side of care:
    31 December when asking 'under N?' (a possible minor is treated as one), 1 January
    when asking 'N or older?'."""
    try:
        if len(value) == 4 and value.isdigit():
            return date(int(value), 12, 31) if youngest else date(int(value), 1, 1)
        return date.fromisoformat(value)
    except ValueError:
        return None


def evaluate(condition: Condition, answers: Mapping[str, Any], today: date) -> bool:
    """Evaluate `condition` against `answers` as of `today`."""
    if isinstance(condition, All):
        return all(evaluate(c, answers, today) for c in condition.items)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, answers, today) for c in condition.items)
    if isinstance(condition, AnyItem):
        items = answers.get(condition.step)
        if not isinstance(items, list):
            return False
        return any(
            isinstance(item, dict) and evaluate(condition.condition, item, today) for item in items
        )
    return _test(condition, answers, today)


def _test(test: Test, answers: Mapping[str, Any], today: date) -> bool:
    present = test.step in answers
    if test.op == "answered":
        return present == bool(test.value)
    if not present:
        return False
    actual = answers[test.step]
    op, expected = test.op, test.value
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return bool(actual in expected)
    if op == "not_in":
        return bool(actual not in expected)
    if op == "has":
        return isinstance(actual, list) and expected in actual
    if op in ("age_lt", "age_gte"):
        born = _birth_date(str(actual), youngest=op == "age_lt")
        if born is None:
            return False
        age = age_on(born, today)
        return bool(age < expected) if op == "age_lt" else bool(age >= expected)
    if not isinstance(actual, int | float):
        return False
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    if op == "lte":
        return bool(actual <= expected)
    raise ValueError(f"unknown operator {op!r}")


def referenced_steps(condition: Condition) -> set[str]:
    """Every top-level answer id a condition reads."""
    if isinstance(condition, All | AnyOf):
        return set().union(*(referenced_steps(c) for c in condition.items))
    return {condition.step}
