"""Where a conversation stands: the next question, the buttons it offers, the review, and
which answers and flags apply. Pure functions of the flow and the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine.conditions import evaluate
from bot.engine.events import Asked, ReviewItem
from bot.engine.flow import N_, Flow, Kind, Option, Step
from bot.engine.scoring import score_facts
from bot.engine.session import Session

CONFIRM = "confirm"
DONE = "done"
KEEP = "keep"
OTHER = "other"
EDIT_PREFIX = "edit:"
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Position:
    key: str
    step: Step
    parent: Step | None = None
    index: int | None = None
    total: int | None = None


def trim_groups(flow: Flow, answers: dict[str, Any]) -> None:
    """A repeat group keeps no more people than its count says (a lowered count drops them)."""
    for step in flow.steps:
        counted = step.count_from in answers  # a count being edited drops nobody yet
        if step.kind is Kind.REPEAT and counted and isinstance(answers.get(step.id), list):
            del answers[step.id][group_count(step, answers) :]


def locate(flow: Flow, session: Session, today: date) -> Position | None:
    pos = next_position(flow, session, today)
    return pos if pos is not None and pos.step.kind is not Kind.INFO else None


def next_position(flow: Flow, session: Session, today: date) -> Position | None:
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
    total = group_count(group, answers)
    items = answers.get(group.id, [])
    for index in range(total):
        item = items[index] if index < len(items) else {}
        for sub in group.steps:
            if sub.when is not None and not evaluate(sub.when, item, today):
                continue
            if sub.id not in item:
                return Position(f"{group.id}.{index}.{sub.id}", sub, group, index, total)
    return None


def group_count(group: Step, answers: dict[str, Any]) -> int:
    value = answers.get(group.count_from or "", 0)
    return value if isinstance(value, int) else 0


def options_of(session: Session, pos: Position) -> tuple[Option, ...]:
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
    if step.kind is Kind.DATE and "date" in session.pending:  # a two-digit year, to confirm
        return (Option(YES, N_("Yes")), Option(NO, N_("No")))
    if step.kind is Kind.PHONE and "regions" in session.pending:  # a number without its country
        codes = session.pending["regions"]
        return (*(Option(code, "") for code in codes), Option(OTHER, N_("Another country")))
    if step.kind is Kind.NUMBER:
        return tuple(Option(str(n), str(n)) for n in step.buttons)
    if step.kind is Kind.MULTI:
        return (*step.options, Option(DONE, N_("Done")))
    return step.options


def ask(flow: Flow, session: Session, pos: Position, today: date) -> Asked:
    step = pos.step
    options = options_of(session, pos)
    previous = None
    editing = session.editing
    edited = editing is not None and editing["step"] in (step.id, pos.parent and pos.parent.id)
    first_of_group = pos.parent is None or (pos.index == 0 and step is pos.parent.steps[0])
    if editing is not None and edited and first_of_group:
        previous = editing["previous"]
        options = (*options, Option(KEEP, N_("Keep the current answer")))
    review: tuple[ReviewItem, ...] = ()
    if step.kind is Kind.REVIEW:
        review = tuple(review_items(flow, session, today))
        options = (
            Option(CONFIRM, N_("Confirm and send")),
            *(Option(EDIT_PREFIX + i.key, i.step.review_label) for i in review if i.index is None),
        )
    hint, proposed = _hint(step, session.pending)
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
        proposed=proposed,
    )


def _hint(step: Step, pending: dict[str, Any]) -> tuple[str | None, str | None]:
    """The narrower question a pending answer calls for, and the value it is about."""
    if step.kind is Kind.COUNTRY:
        if "candidates" in pending:
            return "country_which", None
        return ("country_type" if pending.get("typing") else None), None
    if step.kind is Kind.DATE and "date" in pending:
        return "date_confirm", str(pending["date"])
    if step.kind is Kind.PHONE and "regions" in pending:
        return "phone_country", str(pending["phone"])
    if step.kind is Kind.PHONE and pending.get("with_code"):
        return "phone_with_code", None
    return None, None


def editable(flow: Flow, session: Session, today: date) -> list[str]:
    return [i.key for i in review_items(flow, session, today) if i.index is None]


def review_items(flow: Flow, session: Session, today: date) -> list[ReviewItem]:
    answers = session.answers
    items: list[ReviewItem] = []
    for step in applicable(flow, answers, today):
        if step.kind in (Kind.LANGUAGE, Kind.CONSENT, Kind.INFO, Kind.REVIEW):
            continue
        if step.id not in answers:
            continue
        value = answers[step.id]
        if step.kind is Kind.REPEAT:
            value = value[: group_count(step, answers)]
        items.append(ReviewItem(step.id, step, value))
        if step.kind is Kind.REPEAT:
            for index, item in enumerate(value):
                for sub in step.steps:
                    if sub.id in item:
                        key = f"{step.id}.{index}.{sub.id}"
                        items.append(ReviewItem(key, sub, item[sub.id], index))
    return items


def applicable(flow: Flow, answers: dict[str, Any], today: date) -> list[Step]:
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
            value = [dict(item) for item in value[: group_count(step, kept)]]
        kept[step.id] = value
    return kept


def compute_flags(flow: Flow, answers: dict[str, Any], today: date) -> tuple[str, ...]:
    """The flags whose rules hold, in declaration order, each once."""
    facts = {**answers, **score_facts(flow, answers)}  # a rule may read a dimension's score
    flags = [rule.flag for rule in flow.flags if evaluate(rule.when, facts, today)]
    return tuple(dict.fromkeys(flags))
