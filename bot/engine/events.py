"""What the engine receives (inputs) and what it decides (events), as plain data."""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
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
    """A shared contact card; `own` is False for someone else's, whose number the channel
    does not pass on (`phone` is then empty)."""

    phone: str
    own: bool = True


@dataclass(frozen=True)
class OtherInput:
    """Something that is not an answer: a sticker, photo, voice note, location..."""

    kind: str


Input = TextInput | ChoiceInput | ContactInput | OtherInput

# Events


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data: steps by id, options by value, dates in ISO form."""
    if isinstance(value, Step):
        return value.id
    if isinstance(value, Option):
        return value.value
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _set_fields(obj: Any) -> dict[str, Any]:
    """The dataclass's fields as plain data, leaving out those at their default."""
    data: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            data[f.name] = _plain(value)
            continue
        if value == default:  # an answer of 0 or False is kept: neither equals None
            continue
        data[f.name] = _plain(value)
    return data


class _Plain:
    """What every event shares: a plain-data form, for transcripts and logs."""

    def to_dict(self) -> dict[str, Any]:
        """`type` (the class in snake_case), then each field not at its default, as plain data."""
        return {"type": _snake(type(self).__name__), **_set_fields(self)}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class ReviewItem:
    key: str
    step: Step
    value: Any
    index: int | None = None


@dataclass(frozen=True)
class Asked(_Plain):
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
    # A narrower ask: "country_type", "country_which", "date_confirm", "phone_country",
    # "phone_with_code"; `proposed` is what it asks about (the full date, the typed number).
    hint: str | None = None
    proposed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As for every event, with the review as one `key: value` per answer shown."""
        data = super().to_dict()
        if self.review:  # the key names the step, and the person in a repeat group
            data["review"] = {item.key: _plain(item.value) for item in self.review}
        return data


@dataclass(frozen=True)
class Recorded(_Plain):
    key: str
    step: Step
    value: Any


@dataclass(frozen=True)
class Toggled(_Plain):
    """A multi-choice selection changed; the question's buttons should show it."""

    key: str
    step: Step
    revision: int
    selected: tuple[str, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Rejected(_Plain):
    key: str
    step: Step
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    misses: int = 1  # answers refused in a row, this one included


@dataclass(frozen=True)
class Said(_Plain):
    """A message with no answer expected (info step)."""

    text: str


@dataclass(frozen=True)
class LanguageChosen(_Plain):
    language: str


@dataclass(frozen=True)
class ConsentGiven(_Plain):
    version: str


@dataclass(frozen=True)
class Completed(_Plain):
    answers: dict[str, Any]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Ended(_Plain):
    """The flow stopped early by the person's choice; `text` is the goodbye."""

    outcome: str
    text: str


@dataclass(frozen=True)
class Outdated(_Plain):
    """A button of an earlier question: nothing changed; the current question follows."""

    key: str


@dataclass(frozen=True)
class Ignored(_Plain):
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
