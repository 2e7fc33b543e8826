"""Answers and statuses as people read them, in their language.

`format_answer` is what staff read. What the person is shown goes through `shown_answer`:
their phone is often shared or read over a shoulder, so an answer to a sensitive question
(health, pregnancy, safety) is shown only as saved, never again in clear.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from bot import flags
from bot.engine import Flow, Kind, Step
from bot.engine.flow import N_
from bot.i18n import Translator, language_name
from bot.status import LABELS as STATUS_LABELS
from bot.status import NEXT_STEPS, parse

CHECKIN_STATUS_LABELS = {
    "planned": N_("Planned"),
    "sending": N_("Being sent"),
    "sent": N_("Sent, waiting for an answer"),
    "answered": N_("Answered"),
    "no_reply": N_("No reply"),
    "failed": N_("Not delivered"),
    "cancelled": N_("Cancelled"),
}
REASON_LABELS = {
    "busy": N_("the person was in another conversation with the bot"),
    "network": N_("Telegram could not be reached"),
    "refused": N_("Telegram refused the message"),
    "blocked": N_("the person blocked the bot"),
    "stopped": N_("the person asked for no more messages (/stop)"),
    "person": N_("the person stopped the check-in"),
    "no_consent": N_("no consent to messages after return"),
    "too_late": N_("its date had passed when the return date was entered"),
    "closed": N_("the case was closed"),
}
SAVED = N_("Answer saved")


def flag_label(flag: str, tr: Translator) -> str:
    """A flag as people read it; an unknown one as it is stored."""
    found = flags.BY_NAME.get(flag)
    return tr.gettext(found.label) if found is not None else flag


def status_label(status: str, tr: Translator) -> str:
    """A status as people read it; an unknown one as it is stored."""
    found = parse(status)
    return tr.gettext(STATUS_LABELS[found]) if found is not None else status


def status_next_step(status: str, tr: Translator, office: str) -> str:
    """A status and what happens next, in one sentence; an unknown status by its label."""
    found = parse(status)
    if found is None:
        return status_label(status, tr)
    return tr.gettext(NEXT_STEPS[found], office=office)


def format_answer(step: Step, value: Any, tr: Translator) -> str:
    """One answer as text: options translated, dates and countries localised, text as typed."""
    if value is None:
        return ""
    if step.kind is Kind.YESNO:
        return tr.gettext("Yes") if value else tr.gettext("No")
    if step.kind is Kind.MULTI and isinstance(value, list):
        return ", ".join(_option_label(step, v, tr) for v in value)
    if step.kind is Kind.LANGUAGE:  # its buttons carry no label: each language's own name
        return language_name(str(value))
    if step.kind in (Kind.CHOICE, Kind.CONSENT):
        return _option_label(step, str(value), tr)
    if step.kind is Kind.DATE:
        if len(str(value)) == 4:  # a year alone
            return str(value)
        try:
            return tr.date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if step.kind is Kind.COUNTRY:
        return tr.country(str(value))
    if step.kind is Kind.REPEAT and isinstance(value, list):
        return str(len(value))
    return str(value)


def shown_answer(step: Step, value: Any, tr: Translator) -> str:
    """One answer as the person is shown it: a sensitive one only as saved."""
    return tr.gettext(SAVED) if step.sensitive else format_answer(step, value, tr)


def _option_label(step: Step, value: str, tr: Translator) -> str:
    option = step.option(value)
    return tr.gettext(option.label) if option else value


def answer_lines(flow: Flow, answers: dict[str, Any], tr: Translator) -> Iterator[str]:
    """'Label: answer' lines for every answered question, family members indented, as the
    person is shown them: the review, /mydata."""
    for step in flow.steps:
        if step.id not in answers or step.kind in (Kind.LANGUAGE, Kind.CONSENT):
            continue
        value = answers[step.id]
        if step.kind is Kind.REPEAT:
            for index, item in enumerate(value):
                header = tr.gettext(step.item_label, n=index + 1, total=len(value))
                yield f"{header}:"
                for sub in step.steps:
                    if sub.id in item:
                        answer = shown_answer(sub, item[sub.id], tr)
                        yield f"   {tr.gettext(sub.review_label)}: {answer}"
            continue
        yield f"{tr.gettext(step.review_label)}: {shown_answer(step, value, tr)}"
