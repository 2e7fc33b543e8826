"""A message on its way to Telegram: its text, its buttons, and whether it edits the tapped one."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
MESSAGE_LIMIT = 4096


@dataclass(frozen=True)
class Outgoing:
    """A message to send; `edit` replaces the tapped message's text, `markup_only` its buttons."""

    text: str
    markup: Markup | None = None
    edit: bool = False
    markup_only: bool = False


def rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    """The buttons, `per_row` to a row."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def buttons(pairs: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button a row, from (label, callback data) pairs."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])
