"""What a case page sums up for people to read and print: the age, why the case is
vulnerable, the status history in words, the consent as the person saw it, the phone."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.answers import status_label
from bot.engine import Flow, Kind
from bot.engine.conditions import AnyItem, AnyOf, Condition, age_on, evaluate, referenced_steps
from bot.engine.flow import N_
from bot.i18n import Translator
from bot.store.audit import AuditEntry
from bot.store.cases import CaseRecord

ConsentText = Callable[[Translator, str], str]  # a consent text with the office's facts
VULNERABLE = "vulnerable"
STATUS_CHANGED = "case.status_changed"

# Why a case is vulnerable, by the answer each condition of the conversation's rule reads
# (conversations/intake.yaml); a condition on another answer reads as that answer's label.
REASONS: dict[str, str] = {
    "medical_needs": N_("Medical need"),
    "pregnant": N_("Pregnancy"),
    "protection": N_("Protection request"),
    "date_of_birth": N_("Aged 65 or more"),
    "family_members": N_("Family with children (under 18)"),
}


@dataclass(frozen=True)
class Age:
    years: int
    about: bool  # only the year of birth is known


@dataclass(frozen=True)
class StatusStep:
    at: datetime
    status: str
    actor: str | None  # None: the person, through the bot


def age(date_of_birth: object, today: date) -> Age | None:
    """The age today; from a year alone, the age reached this year, as an estimate."""
    value = str(date_of_birth or "")
    if len(value) == 4 and value.isdigit():
        return Age(today.year - int(value), about=True)
    try:
        return Age(age_on(date.fromisoformat(value), today), about=False)
    except ValueError:
        return None


def vulnerable_reasons(flow: Flow, answers: dict[str, Any], today: date) -> list[str]:
    """The labels (to translate) of the conditions of the 'vulnerable' rule that hold."""
    rule = next((r.when for r in flow.flags if r.flag == VULNERABLE), None)
    if rule is None:
        return []
    parts: Sequence[Condition] = rule.items if isinstance(rule, AnyOf) else (rule,)
    reasons = []
    for part in parts:
        if evaluate(part, answers, today):
            step = part.step if isinstance(part, AnyItem) else min(referenced_steps(part))
            label = REASONS.get(step) or flow.step(step).review_label
            reasons.append(label)
    return list(dict.fromkeys(reasons))


def status_history(case: CaseRecord, trail: Sequence[AuditEntry]) -> list[StatusStep]:
    """Every status the case had, oldest first: the first from the person, then each change."""
    changes = [entry for entry in trail if entry.action == STATUS_CHANGED]
    first = changes[0].details.get("from_status") if changes else case.status
    steps = [StatusStep(case.created_at, str(first), None)]
    steps += [StatusStep(e.at, str(e.details.get("to_status", "")), e.actor) for e in changes]
    return steps


def phone_links(phone: object) -> tuple[str, str] | None:
    """The phone as a click-to-call link and a WhatsApp link; None without a number."""
    digits = re.sub(r"\D", "", str(phone or ""))
    if not digits:
        return None
    return f"tel:+{digits}", f"https://wa.me/{digits}"


def consent_text(flow: Flow, fill: ConsentText | None, tr: Translator) -> str | None:
    """The consent's short text as the person read it, in `tr`'s language, facts filled."""
    step = next((s for s in flow.steps if s.kind is Kind.CONSENT), None)
    if step is None:
        return None
    return fill(tr, step.prompt) if fill is not None else tr.gettext(step.prompt)


def summary(
    case: CaseRecord,
    flow: Flow,
    fill: ConsentText | None,
    trail: Sequence[AuditEntry],
    tr: Translator,
    person: Translator,
    today: date,
) -> dict[str, Any]:
    """What the summary partial shows, in the reader's language (the consent: the person's)."""
    return {
        "age": age(case.answers.get("date_of_birth"), today),
        "reasons": [tr.gettext(r) for r in vulnerable_reasons(flow, case.answers, today)],
        "history": [
            (step.at, status_label(step.status, tr), step.actor)
            for step in status_history(case, trail)
        ],
        "consent": consent_text(flow, fill, person),
        "consented_at": case.answered_at.get("consent"),
        "phone": case.answers.get("phone"),
        "phone_links": phone_links(case.answers.get("phone")),
    }
