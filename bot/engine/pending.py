"""Answers that need one more question before they are kept: a date written with a
two-digit year ("1995?", yes or no) and a phone number typed without its country
("which country is it from?"). The question waits in `session.pending`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.engine.events import ChoiceInput, ContactInput, Event, Input, Rejected, TextInput
from bot.engine.flow import Flow
from bot.engine.navigation import NO, OTHER, YES, Position, ask
from bot.engine.session import Session
from bot.engine.values import DateWords, Invalid, parse_year, read_date

PhoneParser = Callable[[str, str | None], str | None]
_SEPARATORS = re.compile(r"[\s().\-/]")
_DIGITS = (6, 15)  # a phone number has at most 15 digits (E.164), and no fewer than 6


class Unoffered(Exception):
    """A button value this question never offered."""


def date_answer(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    today: date,
    words: DateWords,
    events: list[Event],
) -> str | None:
    """The date in ISO form (or a year alone), or None after asking to confirm a century."""
    step = pos.step
    proposed = session.pending.get("date")
    if isinstance(given, ChoiceInput):
        if proposed is None or given.value not in (YES, NO):
            raise Unoffered("unknown_value")
        if given.value == YES:
            return str(proposed)
        _ask_again(flow, session, pos, today, {}, events)
        return None
    if not isinstance(given, TextInput):
        raise Invalid("text_expected")
    if step.year_only and (year := parse_year(given.text, today)) is not None:
        return year
    value, guessed = read_date(given.text, today, not_future=step.not_future, words=words)
    if not guessed:
        return value.isoformat()
    _ask_again(flow, session, pos, today, {"date": value.isoformat()}, events)
    return None


def phone_answer(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    today: date,
    parse_phone: PhoneParser,
    events: list[Event],
) -> str | None:
    """The number in E.164, or None after asking which country a number is from.

    A number typed without a leading + or 0 could be of any country: the office's prefix
    is never put in front of it unasked. Nor is it for a national number (leading 0) that
    is valid in the person's country too."""
    step, pending = pos.step, session.pending
    if isinstance(given, ChoiceInput):
        typed = pending.get("phone")
        if typed is None or (given.value != OTHER and given.value not in pending["regions"]):
            raise Unoffered("unknown_value")
        if given.value == OTHER:
            _ask_again(flow, session, pos, today, {"with_code": True}, events)
            return None
        if (phone := parse_phone(str(typed), given.value)) is None:
            events.append(Rejected(pos.key, step, "phone_not_of_country"))
            _ask_again(flow, session, pos, today, {"with_code": True}, events)
        return phone
    if isinstance(given, ContactInput):
        if not given.own:
            raise Invalid("contact_not_own")
        return _valid(parse_phone(given.phone, step.default_region))
    if not isinstance(given, TextInput):
        raise Invalid("text_expected")
    text = given.text.strip()
    nationality = session.answers.get(step.default_from or "")
    regions = [r for r in dict.fromkeys([nationality, step.default_region]) if r]
    if text.startswith("0") and not text.startswith("00"):
        # A national number: the country where it is valid, or the question when it is
        # valid in both the person's country and the office's ("0661…": Algeria or here).
        valid = [r for r in regions if parse_phone(text, r) is not None]
        if len(valid) > 1:
            _ask_again(flow, session, pos, today, {"phone": text, "regions": valid}, events)
            return None
        return _valid(parse_phone(text, valid[0] if valid else step.default_region))
    if text.startswith(("+", "0")):
        return _valid(parse_phone(text, step.default_region))
    digits = _SEPARATORS.sub("", text)
    if not digits.isascii() or not digits.isdigit() or not _DIGITS[0] <= len(digits) <= _DIGITS[1]:
        raise Invalid("phone_invalid")
    if pending.get("with_code"):  # asked for the country code: "221 77…" means "+221 77…"
        return _valid(parse_phone(f"+{digits}", None))
    if regions and all(parse_phone(text, region) is None for region in regions):
        raise Invalid("phone_invalid")  # whose refusal asks for the country code
    state: dict[str, object] = {"phone": text, "regions": regions}
    _ask_again(flow, session, pos, today, state if regions else {"with_code": True}, events)
    return None


def _valid(phone: str | None) -> str:
    if phone is None:
        raise Invalid("phone_invalid")
    return phone


def _ask_again(
    flow: Flow,
    session: Session,
    pos: Position,
    today: date,
    pending: dict[str, object],
    events: list[Event],
) -> None:
    """Ask the question again in a new state (new buttons, so a new revision)."""
    session.pending = pending
    session.revision += 1
    events.append(ask(flow, session, pos, today))
