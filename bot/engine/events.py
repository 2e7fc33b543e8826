"""What the engine receives (inputs) and what it decides (events), as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.flow import Option, Step

# Inputs


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ChoiceInput:
    """A button tap: the question it belonged to, the revision it was shown at, the value."""

    key: str
    revision: int
    value: str


@dataclass(frozen=True)
class ContactInput:
    phone: str


@dataclass(frozen=True)
class OtherInput:
    """Something that is not an answer: a sticker, photo, voice note, location..."""

    kind: str


Input = TextInput | ChoiceInput | ContactInput | OtherInput

# Events


@dataclass(frozen=True)
class ReviewItem:
    key: str
    step: Step
    value: Any
    index: int | None = None


@dataclass(frozen=True)
class Asked:
    """Ask `step` (at `key`, e.g. 'family_members.1.name'); buttons carry `revision`."""

    key: str
    step: Step
    revision: int
    options: tuple[Option, ...] = ()
    selected: tuple[str, ...] = ()
    index: int | None = None
    total: int | None = None
    previous: Any = None
    review: tuple[ReviewItem, ...] = ()
    hint: str | None = None  # a narrower ask: "country_type", "country_which"


@dataclass(frozen=True)
class Recorded:
    key: str
    step: Step
    value: Any


@dataclass(frozen=True)
class Toggled:
    """A multi-choice selection changed; the question's buttons should show it."""

    key: str
    step: Step
    revision: int
    selected: tuple[str, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Rejected:
    key: str
    step: Step
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Said:
    """A message with no answer expected (info step)."""

    text: str


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class ConsentGiven:
    version: str


@dataclass(frozen=True)
class Completed:
    answers: dict[str, Any]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Ended:
    """The flow stopped early by the person's choice; `text` is the goodbye."""

    outcome: str
    text: str


@dataclass(frozen=True)
class Outdated:
    """A button of an earlier question: nothing changed; the current question follows."""

    key: str


@dataclass(frozen=True)
class Ignored:
    """An input that could not belong to this conversation (forged or garbled)."""

    reason: str


Event = (
    Asked
    | Recorded
    | Toggled
    | Rejected
    | Said
    | LanguageChosen
    | ConsentGiven
    | Completed
    | Ended
    | Outdated
    | Ignored
)
