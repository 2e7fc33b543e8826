"""The counselling checklist: its items, which apply to a case, and whether it is complete.

The items are data (conversations/checklist.yaml, read by bot.conversations.checklist);
this module only decides, from a case's flags and what was recorded, with no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.engine.flow import N_


class ItemKind(enum.StrEnum):
    """How an item is filled in."""

    CONFIRM = "confirm"  # done on a date, by someone (e.g. voluntariness confirmed in person)
    CHOICE = "choice"  # one of the item's options (e.g. fit / needs escort / not fit)
    TEXT = "text"  # free text (e.g. the counselling notes)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    blocks: bool = False  # chosen, the case cannot be accepted (e.g. not fit to travel)


@dataclass(frozen=True)
class Item:
    """One line of the checklist; `flags`: it applies only to cases with one of them."""

    id: str
    kind: ItemKind
    label: str
    required: bool = True
    flags: tuple[str, ...] = ()
    options: tuple[Choice, ...] = ()
    line: int = 0

    def applies(self, case_flags: Iterable[str]) -> bool:
        return not self.flags or bool(set(self.flags) & set(case_flags))

    def option(self, value: str) -> Choice | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Reason:
    """Why a request is not accepted: a code kept with the case, and its label."""

    value: str
    label: str


@dataclass(frozen=True)
class Checklist:
    version: str
    items: tuple[Item, ...]
    reasons: tuple[Reason, ...] = ()

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def reason(self, value: str) -> Reason | None:
        return next((r for r in self.reasons if r.value == value), None)


@dataclass(frozen=True)
class Entry:
    """What was recorded for one item of one case."""

    item: str
    value: str = ""  # the option chosen, or the text written; "" for a confirmation
    done_on: date | None = None
    done_by: str = ""  # who did it (the counsellor), not necessarily who recorded it
    recorded_by: str = ""


@dataclass(frozen=True)
class Line:
    """An applicable item and its entry, as the case page shows it."""

    item: Item
    entry: Entry | None
    done: bool
    blocking: bool = False


@dataclass(frozen=True)
class Progress:
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> tuple[Item, ...]:
        """The required items not done, or done with an answer that forbids acceptance."""
        return tuple(line.item for line in self.lines if line.item.required and not line.done)

    @property
    def complete(self) -> bool:
        return not self.missing


def done(item: Item, entry: Entry | None) -> bool:
    """Whether an entry fills its item in (a blocking choice does not)."""
    if entry is None:
        return False
    if item.kind is ItemKind.CONFIRM:
        return entry.done_on is not None and bool(entry.done_by.strip())
    if item.kind is ItemKind.CHOICE:
        option = item.option(entry.value)
        return option is not None and not option.blocks
    return bool(entry.value.strip())


def progress(
    checklist: Checklist, case_flags: Iterable[str], entries: Mapping[str, Entry]
) -> Progress:
    """The items that apply to a case with these flags, each with its entry."""
    names = tuple(case_flags)
    lines = []
    for item in checklist.items:
        if not item.applies(names):
            continue
        entry = entries.get(item.id)
        option = item.option(entry.value) if entry is not None else None
        blocking = option is not None and option.blocks
        lines.append(Line(item, entry, done(item, entry), blocking))
    return Progress(tuple(lines))


INCOMPLETE = N_(
    "The counselling checklist is not complete: see the items not done in the checklist."
)
OVERRIDE_NOTE = N_("Write a note to explain why the case is accepted without a complete checklist.")
SUPERVISORS_ONLY = N_("Only a supervisor can accept a case whose checklist is not complete.")
REASON_REQUIRED = N_("Choose the reason the request is not accepted.")
