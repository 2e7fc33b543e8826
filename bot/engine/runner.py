"""The runner: `start` and `resume` turn a session and an input into a new session and events.

The position in a flow is never stored as a program counter: the next question is always
the first applicable step without an answer. Editing an answer is removing it, and new
conditional questions appear, or vanish, by themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.engine.conditions import evaluate
from bot.engine.events import (
    Asked,
    ChoiceInput,
    Completed,
    ConsentGiven,
    ContactInput,
    Ended,
    Event,
    Ignored,
    Input,
    LanguageChosen,
    Outdated,
    Recorded,
    Rejected,
    ReviewItem,
    Said,
    TextInput,
    Toggled,
)
from bot.engine.flow import N_, Flow, Kind, Option, Step
from bot.engine.session import COMPLETED, ENDED, Session
from bot.engine.values import (
    CountryIndex,
    Invalid,
    clean_text,
    parse_date,
    parse_number,
    parse_year,
)

CONFIRM = "confirm"
DONE = "done"
KEEP = "keep"
OTHER = "other"
EDIT_PREFIX = "edit:"
YES, NO = "yes", "no"

PhoneParser = Callable[[str, str | None], str | None]


@dataclass(frozen=True)
class Resources:
    """What the engine needs from the outside world, handed in by the caller."""

    parse_phone: PhoneParser
    countries: CountryIndex = field(default_factory=CountryIndex)


@dataclass(frozen=True)
class Transition:
    session: Session
    events: list[Event]


@dataclass(frozen=True)
class Position:
    key: str
    step: Step
    parent: Step | None = None
    index: int | None = None
    total: int | None = None


def start(flow: Flow, now: datetime) -> Transition:
    """A new session, positioned at the flow's first question."""
    session = Session(flow_id=flow.id)
    events: list[Event] = []
    _advance(flow, session, now.date(), events)
    return Transition(session, events)


def current(flow: Flow, session: Session, now: datetime) -> list[Event]:
    """The current question again (after a language switch, a /start, an old button)."""
    today = now.date()
    pos = _locate(flow, session, today)
    return [_ask(flow, session, pos, today)] if pos else []


def resume(
    flow: Flow, session: Session, given: Input, now: datetime, resources: Resources
) -> Transition:
    """Apply one input; `session` itself is left as it was."""
    today = now.date()
    if not session.active:
        return Transition(session, [Ignored("session_closed")])
    pos = _locate(flow, session, today)
    if pos is None:
        return Transition(session, [Ignored("nothing_asked")])
    if isinstance(given, ChoiceInput) and (
        given.key != pos.key or given.revision != session.revision
    ):
        return Transition(session, [Outdated(given.key), _ask(flow, session, pos, today)])
    events: list[Event] = []
    changed = session.copy()
    try:
        _apply(flow, changed, pos, given, now, resources, events)
    except Invalid as refusal:
        rejected = Rejected(pos.key, pos.step, refusal.reason, refusal.params)
        return Transition(session, [rejected, _ask(flow, session, pos, today)])
    except _Unknown as unknown:
        return Transition(session, [Ignored(str(unknown))])
    return Transition(changed, events)


class _Unknown(Exception):
    """A button value this question never offered."""


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
    if step.kind is Kind.COUNTRY:
        value = _country(flow, session, pos, given, today, resources, events)
        if value is None:
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
    if step.kind is Kind.PHONE and isinstance(given, ContactInput | TextInput):
        raw = given.phone if isinstance(given, ContactInput) else given.text
        phone = res.parse_phone(raw, step.default_region)
        if phone is None:
            raise Invalid("phone_invalid")
        return phone
    if not isinstance(given, TextInput):
        raise Invalid("text_expected")
    if step.kind is Kind.TEXT:
        return clean_text(given.text, step.min, step.max)
    if step.kind is Kind.NUMBER:
        return parse_number(given.text, step.min, step.max)
    if step.kind is Kind.DATE:
        if step.year_only and (year := parse_year(given.text, today)) is not None:
            return year
        return parse_date(given.text, today, not_future=step.not_future).isoformat()
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
    options = _options(session, pos)
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
    offered = {o.value for o in _options(session, pos)}
    if isinstance(given, ChoiceInput):
        if given.value == OTHER:
            session.pending = {"typing": True}
            session.revision += 1
            events.append(_ask(flow, session, pos, today))
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
    events.append(_ask(flow, session, pos, today))
    return None


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
    if not given.value.startswith(EDIT_PREFIX) or step_id not in _editable(flow, session, today):
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
    _trim_groups(flow, session.answers)
    while (pos := _next(flow, session, today)) is not None:
        if pos.step.kind is Kind.INFO:
            session.seen.append(pos.step.id)
            events.append(Said(pos.step.prompt))
            continue
        group = pos.parent
        if group is not None and group.id not in session.seen:  # the group's introduction
            session.seen.append(group.id)
            events.append(Said(group.prompt))
        session.key = pos.key
        events.append(_ask(flow, session, pos, today))
        return
    session.key = None
    answers = applicable_answers(flow, session.answers, today)
    session.answers, session.status = answers, COMPLETED
    events.append(Completed(answers, compute_flags(flow, answers, today)))


def _trim_groups(flow: Flow, answers: dict[str, Any]) -> None:
    """A repeat group keeps no more people than its count says (a lowered count drops them)."""
    for step in flow.steps:
        counted = step.count_from in answers  # a count being edited drops nobody yet
        if step.kind is Kind.REPEAT and counted and isinstance(answers.get(step.id), list):
            del answers[step.id][_count(step, answers) :]


def _locate(flow: Flow, session: Session, today: date) -> Position | None:
    pos = _next(flow, session, today)
    return pos if pos is not None and pos.step.kind is not Kind.INFO else None


def _next(flow: Flow, session: Session, today: date) -> Position | None:
    answers = session.answers
    for step in flow.steps:
        if step.when is not None and not evaluate(step.when, answers, today):
            continue
        if step.kind is Kind.INFO:
            if step.id not in session.seen:
                return Position(step.id, step)
        elif step.kind is Kind.REVIEW:
            return Position(step.id, step)
        elif step.kind is Kind.REPEAT:
            if (pos := _next_item(step, answers, today)) is not None:
                return pos
        elif step.id not in answers:
            return Position(step.id, step)
    return None


def _next_item(group: Step, answers: dict[str, Any], today: date) -> Position | None:
    if group.id not in answers and group.count_from not in answers:
        return None
    total = _count(group, answers)
    items = answers.get(group.id, [])
    for index in range(total):
        item = items[index] if index < len(items) else {}
        for sub in group.steps:
            if sub.when is not None and not evaluate(sub.when, item, today):
                continue
            if sub.id not in item:
                return Position(f"{group.id}.{index}.{sub.id}", sub, group, index, total)
    return None


def _count(group: Step, answers: dict[str, Any]) -> int:
    value = answers.get(group.count_from or "", 0)
    return value if isinstance(value, int) else 0


def _options(session: Session, pos: Position) -> tuple[Option, ...]:
    step = pos.step
    if step.kind is Kind.COUNTRY:
        if session.pending.get("typing"):
            return ()
        if "candidates" in session.pending:
            codes = list(session.pending["candidates"])
        else:
            default = session.answers.get(step.default_from or "")
            codes = list(dict.fromkeys([default, *step.suggest] if default else step.suggest))
        return (*(Option(code, "") for code in codes), Option(OTHER, N_("Other country")))
    if step.kind is Kind.NUMBER:
        return tuple(Option(str(n), str(n)) for n in step.buttons)
    if step.kind is Kind.MULTI:
        return (*step.options, Option(DONE, N_("Done")))
    return step.options


def _ask(flow: Flow, session: Session, pos: Position, today: date) -> Asked:
    step = pos.step
    options = _options(session, pos)
    previous = None
    editing = session.editing
    edited = editing is not None and editing["step"] in (step.id, pos.parent and pos.parent.id)
    first_of_group = pos.parent is None or (pos.index == 0 and step is pos.parent.steps[0])
    if editing is not None and edited and first_of_group:
        previous = editing["previous"]
        options = (*options, Option(KEEP, N_("Keep the current answer")))
    review: tuple[ReviewItem, ...] = ()
    if step.kind is Kind.REVIEW:
        review = tuple(_review_items(flow, session, today))
        options = (
            Option(CONFIRM, N_("Confirm and send")),
            *(Option(EDIT_PREFIX + i.key, i.step.review_label) for i in review if i.index is None),
        )
    hint = None
    if step.kind is Kind.COUNTRY:
        hint = "country_type" if session.pending.get("typing") else None
        hint = "country_which" if "candidates" in session.pending else hint
    return Asked(
        key=pos.key,
        step=step,
        revision=session.revision,
        options=options,
        selected=tuple(session.pending.get("selected", ())),
        index=pos.index,
        total=pos.total,
        previous=previous,
        review=review,
        hint=hint,
    )


def _editable(flow: Flow, session: Session, today: date) -> list[str]:
    return [i.key for i in _review_items(flow, session, today) if i.index is None]


def _review_items(flow: Flow, session: Session, today: date) -> list[ReviewItem]:
    answers = session.answers
    items: list[ReviewItem] = []
    for step in _applicable(flow, answers, today):
        if step.kind in (Kind.LANGUAGE, Kind.CONSENT, Kind.INFO, Kind.REVIEW):
            continue
        if step.id not in answers:
            continue
        value = answers[step.id]
        if step.kind is Kind.REPEAT:
            value = value[: _count(step, answers)]
        items.append(ReviewItem(step.id, step, value))
        if step.kind is Kind.REPEAT:
            for index, item in enumerate(value):
                for sub in step.steps:
                    if sub.id in item:
                        key = f"{step.id}.{index}.{sub.id}"
                        items.append(ReviewItem(key, sub, item[sub.id], index))
    return items


def _applicable(flow: Flow, answers: dict[str, Any], today: date) -> list[Step]:
    return [s for s in flow.steps if s.when is None or evaluate(s.when, answers, today)]


def applicable_answers(flow: Flow, answers: dict[str, Any], today: date) -> dict[str, Any]:
    """Answers of the steps that apply, repeat groups cut to their count."""
    kept: dict[str, Any] = {}
    for step in flow.steps:
        if step.id not in answers:
            continue
        if step.when is not None and not evaluate(step.when, kept, today):
            continue
        value = answers[step.id]
        if step.kind is Kind.REPEAT:
            value = [dict(item) for item in value[: _count(step, kept)]]
        kept[step.id] = value
    return kept


def compute_flags(flow: Flow, answers: dict[str, Any], today: date) -> tuple[str, ...]:
    """The flags whose rules hold, in declaration order, each once."""
    flags = [rule.flag for rule in flow.flags if evaluate(rule.when, answers, today)]
    return tuple(dict.fromkeys(flags))
