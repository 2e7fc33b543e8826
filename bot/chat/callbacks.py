"""Callback data: short, parsed strictly, proving nothing by itself.

An answer button is "<revision>|<key>|<value>"; a command button is "!<action>|<argument>";
an appointment button is "a|<appointment>|<revision>|<action>" (bot.appointments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.appointments import ButtonData, parse

LIMIT = 64
_ANSWER = re.compile(r"^(\d{1,6})\|([a-z0-9_.]{1,50})\|([a-zA-Z0-9_:.]{1,50})$")
_COMMAND = re.compile(r"^!([a-z]{1,12})\|([a-z0-9_]{1,12})$")


@dataclass(frozen=True)
class AnswerData:
    revision: int
    key: str
    value: str


@dataclass(frozen=True)
class CommandData:
    action: str
    argument: str


def answer(revision: int, key: str, value: str) -> str:
    data = f"{revision}|{key}|{value}"
    if len(data.encode()) > LIMIT:
        raise ValueError(f"callback data over {LIMIT} bytes: {data!r}")
    return data


def command(action: str, argument: str) -> str:
    return f"!{action}|{argument}"


def decode(data: str | None) -> AnswerData | CommandData | ButtonData | None:
    """The button's meaning, or None for anything this bot never sends."""
    if not data or len(data.encode()) > LIMIT:
        return None
    if m := _ANSWER.match(data):
        return AnswerData(int(m[1]), m[2], m[3])
    if m := _COMMAND.match(data):
        return CommandData(m[1], m[2])
    return parse(data)
