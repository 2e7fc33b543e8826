"""Flow definitions: the steps of a conversation, as plain immutable data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.engine.conditions import Condition


class Kind(StrEnum):
    LANGUAGE = "language"
    CONSENT = "consent"
    INFO = "info"
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    PHONE = "phone"
    COUNTRY = "country"
    REPEAT = "repeat"
    REVIEW = "review"


def N_(text: str) -> str:
    """Mark an English text for translation; the channel translates it when rendering."""
    return text


@dataclass(frozen=True)
class Option:
    """One button of a choice. `label` is English source text, `end` ends the flow."""

    value: str
    label: str
    end: str | None = None
    outcome: str | None = None
    score: float | None = None  # 0..1 in its step's dimension; None: the answer is not scored


@dataclass(frozen=True)
class Step:
    """One question (or message) of a flow. Texts are English gettext message ids."""

    id: str
    kind: Kind
    prompt: str
    label: str = ""
    options: tuple[Option, ...] = ()
    when: Condition | None = None
    min: int | None = None
    max: int | None = None
    not_future: bool = False
    year_only: bool = False
    default_region: str | None = None
    suggest: tuple[str, ...] = ()
    default_from: str | None = None
    steps: tuple[Step, ...] = ()
    count_from: str | None = None
    item_label: str = ""
    buttons: tuple[int, ...] = ()
    version: str = ""
    sensitive: bool = False
    notice: str = ""  # a consent's full text, behind its "Read more" button
    dimension: str = ""  # the reintegration dimension its options' scores count in
    weight: float = 1.0  # its weight among the scored steps of that dimension
    line: int = 0

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def review_label(self) -> str:
        return self.label or self.prompt


@dataclass(frozen=True)
class FlagRule:
    flag: str
    when: Condition


@dataclass(frozen=True)
class Scoring:
    """The weight of each reintegration dimension in the composite score (they sum to 1)."""

    weights: dict[str, float]


@dataclass(frozen=True)
class Flow:
    id: str
    version: str
    steps: tuple[Step, ...]
    flags: tuple[FlagRule, ...] = ()
    scoring: Scoring | None = None
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
