"""The runner: `start` and `resume` turn a session and an input into a new session and events.

The position in a flow is never stored as a program counter: the next question is always
the first applicable step without an answer. Editing an answer is removing it, and new
conditional questions appear, or vanish, by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.engine.events import (
    ChoiceInput,
    Completed,
    ConsentGiven,
    Ended,
    Event,
    Ignored,
    Input,
    LanguageChosen,
    Outdated,
    Recorded,
    Rejected,
    Said,
    TextInput,
    Toggled,
)
from bot.engine.flow import Flow, Kind, Step
from bot.engine.navigation import (
    CONFIRM,
    DONE,
    EDIT_PREFIX,
    KEEP,
    NO,
    OTHER,
    YES,
    Position,
    applicable_answers,
    ask,
    compute_flags,
    editable,
    locate,
    next_position,
    options_of,
    trim_groups,
)
from bot.engine.pending import PhoneParser, date_answer, phone_answer
from bot.engine.pending import Unoffered as _Unknown
from bot.engine.session import COMPLETED, ENDED, Session
from bot.engine.values import CountryIndex, DateWords, Invalid, clean_text, parse_number
from bot.engine.words import Vocabulary

__all__ = ["NO", "YES", "PhoneParser", "Resources", "Transition", "current", "resume", "start"]


@dataclass(frozen=True)
class Resources:
    """What the engine needs from the outside world, handed in by the caller."""

    parse_phone: PhoneParser
    countries: CountryIndex = field(default_factory=CountryIndex)
    words: Vocabulary = field(default_factory=Vocabulary)
    dates: DateWords = field(default_factory=DateWords)


@dataclass(frozen=True)
class Transition:
    session: Session
    events: list[Event]


def start(flow: Flow, now: datetime) -> Transition:
    """A new session, positioned at the flow's first question."""
    session = Session(flow_id=flow.id)
    events: list[Event] = []
    _advance(flow, session, now.date(), events)
    return Transition(session, events)


def current(flow: Flow, session: Session, now: datetime) -> list[Event]:
    """The current question again (after a language switch, a /start, an old button)."""
    today = now.date()
    pos = locate(flow, session, today)
    return [ask(flow, session, pos, today)] if pos else []


def resume(
    flow: Flow, session: Session, given: Input, now: datetime, resources: Resources
) -> Transition:
    """Apply one input; `session` itself is left as it was."""
    today = now.date()
    if not session.active:
        return Transition(session, [Ignored("session_closed")])
    pos = locate(flow, session, today)
    if pos is None:
        return Transition(session, [Ignored("nothing_asked")])
    if isinstance(given, TextInput):
        given = _as_tap(session, pos, given, resources)
    if isinstance(given, ChoiceInput) and (
        given.key != pos.key or given.revision != session.revision
    ):
        return Transition(session, [Outdated(given.key), ask(flow, session, pos, today)])
    events: list[Event] = []
    changed = session.copy()
    changed.misses = 0
    try:
        _apply(flow, changed, pos, given, now, resources, events)
    except Invalid as refusal:
        refused = session.copy()
        refused.misses += 1
        rejected = Rejected(pos.key, pos.step, refusal.reason, refusal.params, refused.misses)
        return Transition(refused, [rejected, ask(flow, refused, pos, today)])
    except _Unknown as unknown:
        return Transition(session, [Ignored(str(unknown))])
    return Transition(changed, events)


def _as_tap(session: Session, pos: Position, given: TextInput, res: Resources) -> Input:
    """Typed text that names one of the question's buttons, as a tap on it."""
    value = res.words.tap(pos.step, options_of(session, pos), given.text)
    return given if value is None else ChoiceInput(pos.key, session.revision, value)


def _apply(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    now: datetime,
    resources: Resources,
    events: list[Event],
) -> None:
    step, today = pos.step, now.date()
    if isinstance(given, ChoiceInput) and given.value == KEEP and session.editing:
        _restore_edit(session)
        session.revision += 1
        _advance(flow, session, today, events)
        return
    if step.kind is Kind.REVIEW:
        _apply_review(flow, session, given, now, events)
        return
    if step.kind is Kind.MULTI and isinstance(given, ChoiceInput) and given.value != DONE:
        _toggle(session, pos, given.value, events)
        return
    if step.kind in _NARROWED:
        value = _NARROWED[step.kind](flow, session, pos, given, today, resources, events)
        if value is None:  # a narrower question was asked
            return
    else:
        value = _value(session, pos, given, today, resources)
    _record(session, pos, value, now)
    events.append(Recorded(pos.key, step, value))
    option = step.option(value) if isinstance(value, str) else None
    if step.kind is Kind.LANGUAGE:
        events.append(LanguageChosen(value))
    if step.kind is Kind.CONSENT and option and not option.end:
        events.append(ConsentGiven(step.version or flow.version))
    if option and option.end:
        session.status, session.outcome = ENDED, option.outcome or step.id
        events.append(Ended(session.outcome, option.end))
        return
    _advance(flow, session, today, events)


def _value(session: Session, pos: Position, given: Input, today: date, res: Resources) -> Any:
    step = pos.step
    if isinstance(given, ChoiceInput):
        return _button_value(session, step, given.value)
    if step.kind in (Kind.LANGUAGE, Kind.CONSENT, Kind.CHOICE, Kind.YESNO, Kind.MULTI):
        # Telegram shows no numbers on buttons: a typed "2" means 2, not the second button.
        raise Invalid("use_buttons")
    if not isinstance(given, TextInput):
        raise Invalid("text_expected")
    if step.kind is Kind.TEXT:
        return clean_text(given.text, step.min, step.max)
    if step.kind is Kind.NUMBER:
        return parse_number(given.text, step.min, step.max)
    raise Invalid("use_buttons")


def _button_value(session: Session, step: Step, value: str) -> Any:
    if step.kind is Kind.MULTI:
        selected = list(session.pending.get("selected", []))
        if not selected:
            raise Invalid("choose_one")
        return [o.value for o in step.options if o.value in selected]
    if (
        step.kind is Kind.NUMBER
        and value.isascii()
        and value.isdigit()
        and int(value) in step.buttons
    ):
        return int(value)
    if step.option(value) is None:
        raise _Unknown("unknown_value")
    if step.kind is Kind.YESNO:
        return value == YES
    return value


def _toggle(session: Session, pos: Position, value: str, events: list[Event]) -> None:
    if pos.step.option(value) is None:
        raise _Unknown("unknown_value")
    selected = list(session.pending.get("selected", []))
    selected.remove(value) if value in selected else selected.append(value)
    session.pending = {"selected": selected}
    session.revision += 1
    options = options_of(session, pos)
    events.append(Toggled(pos.key, pos.step, session.revision, tuple(selected), options))


def _country(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    today: date,
    res: Resources,
    events: list[Event],
) -> str | None:
    """The chosen country code, or None after asking a narrower question."""
    offered = {o.value for o in options_of(session, pos)}
    if isinstance(given, ChoiceInput):
        if given.value == OTHER:
            session.pending = {"typing": True}
            session.revision += 1
            events.append(ask(flow, session, pos, today))
            return None
        if given.value not in offered:
            raise _Unknown("unknown_value")
        return given.value
    if not isinstance(given, TextInput):
        raise Invalid("text_expected")
    codes, exact = res.countries.match(given.text)
    if exact:
        return codes[0]
    if not codes:
        raise Invalid("country_unknown")
    session.pending = {"candidates": list(codes)}
    session.revision += 1
    events.append(ask(flow, session, pos, today))
    return None


def _date(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    today: date,
    res: Resources,
    events: list[Event],
) -> str | None:
    return date_answer(flow, session, pos, given, today, res.dates, events)


def _phone(
    flow: Flow,
    session: Session,
    pos: Position,
    given: Input,
    today: date,
    res: Resources,
    events: list[Event],
) -> str | None:
    return phone_answer(flow, session, pos, given, today, res.parse_phone, events)


# The kinds whose answer may take a narrower question first, and who reads it.
_NARROWED = {Kind.COUNTRY: _country, Kind.DATE: _date, Kind.PHONE: _phone}


def _apply_review(
    flow: Flow, session: Session, given: Input, now: datetime, events: list[Event]
) -> None:
    if not isinstance(given, ChoiceInput):
        raise Invalid("use_buttons")
    today = now.date()
    if given.value == CONFIRM:
        answers = applicable_answers(flow, session.answers, today)
        session.answers = answers
        session.status, session.editing = COMPLETED, None
        session.revision += 1
        events.append(Completed(answers, compute_flags(flow, answers, today)))
        return
    step_id = given.value.removeprefix(EDIT_PREFIX)
    if not given.value.startswith(EDIT_PREFIX) or step_id not in editable(flow, session, today):
        raise _Unknown("unknown_value")
    previous = session.answers.pop(step_id)
    session.editing = {"step": step_id, "previous": previous}
    if flow.step(step_id).kind is Kind.MULTI:
        session.pending = {"selected": list(previous)}  # start from the current selection
    session.revision += 1
    _advance(flow, session, today, events)


def _restore_edit(session: Session) -> None:
    assert session.editing is not None
    session.answers[session.editing["step"]] = session.editing["previous"]
    session.editing = None
    session.pending = {}


def _record(session: Session, pos: Position, value: Any, now: datetime) -> None:
    if pos.parent is not None and pos.index is not None:
        items: list[dict[str, Any]] = session.answers.setdefault(pos.parent.id, [])
        while len(items) <= pos.index:
            items.append({})
        items[pos.index][pos.step.id] = value
    else:
        session.answers[pos.step.id] = value
    session.answered_at[pos.key] = now.isoformat()
    session.pending = {}
    if session.editing and pos.step.id == session.editing["step"]:
        session.editing = None
    session.revision += 1


def _advance(flow: Flow, session: Session, today: date, events: list[Event]) -> None:
    """Say the info steps on the way, then ask the next question or complete."""
    trim_groups(flow, session.answers)
    while (pos := next_position(flow, session, today)) is not None:
        if pos.step.kind is Kind.INFO:
            session.seen.append(pos.step.id)
            events.append(Said(pos.step.prompt))
            continue
        group = pos.parent
        if group is not None and group.id not in session.seen:  # the group's introduction
            session.seen.append(group.id)
            events.append(Said(group.prompt))
        session.key = pos.key
        events.append(ask(flow, session, pos, today))
        return
    session.key = None
    answers = applicable_answers(flow, session.answers, today)
    session.answers, session.status = answers, COMPLETED
    events.append(Completed(answers, compute_flags(flow, answers, today)))
