"""Completing an intake as a person would, driven by the conversation file.

`complete_intake(chat, nationality="SN", family=2)` answers whatever the bot asks, one
question at a time, until the reference number arrives. Each question is recognised by
its buttons' callback data (`<revision>|<key>|<value>`) or, for typed answers, by its
prompt in any language of locales/ (or of the catalogs given); it is answered with the caller's value for that step
id, else with a plain default. A question added to the flow is answered by default, so
callers do not change.

The chat is anything with `say`, `choose` and `inbox`: the in-process `Phone` of the
tests, a person over real HTTP, or the benchmark's phones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.chat.phone import BotMessage
from bot.config import ROOT
from bot.conversations import load_flows
from bot.engine import Flow, Kind, Step
from bot.i18n import Catalogs, country_name

REFERENCE = re.compile(r"\b[A-Z]{2,}-\d{4}-\d{5,}\b")
DONE, CONFIRM, YES, NO = "done", "confirm", "yes", "no"
MOST_QUESTIONS = 500  # a walk longer than this is a loop: the bot keeps asking
LANGUAGES = ("fr", "en")  # INTAKE_LANGUAGES by default

# A plain request: an adult from Mali, travelling alone, nothing that raises a flag but
# the ones every such request has. The values of the steps the flow may ask.
PLAIN: dict[str, Any] = {
    "full_name": "Awa Diallo",
    "date_of_birth": "01/01/1990",
    "nationality": "ML",
    "phone": "+22376123456",
    "destination_city": "Bamako",
    "family_count": 0,
    "pregnant": NO,
    "occupation": ["crafts"],
    "reintegration_plan": "training",
    "plan_details": "Tailoring",
    "followup_consent": YES,
}
PLAIN_MEMBER: dict[str, Any] = {
    "name": "Moussa Diallo",
    "relationship": "child",
    "date_of_birth": "01/01/2015",
}
BY_KIND: dict[Kind, Any] = {
    Kind.YESNO: NO,
    Kind.DATE: "01/01/1990",
    Kind.PHONE: "+22376123456",
    Kind.REVIEW: CONFIRM,
}


class Chat(Protocol):
    """One person's side of the chat, whatever carries their updates to the bot."""

    async def say(self, text: str) -> object: ...

    async def choose(self, value: str) -> object:
        """Tap the newest button whose callback data ends with `|value`."""
        ...

    @property
    def inbox(self) -> list[BotMessage]: ...


async def complete_intake(
    chat: Chat, flow: Flow | None = None, catalogs: Catalogs | None = None, **answers: Any
) -> str:
    """Answer every question from the current one on, confirm, and return the reference.

    Answers are named by step id (`nationality="SN"`, `sex="male"`, `medical_needs=True`,
    `occupation=["trade", "other"]`, `family_members=[{"name": ...}]`), or `family=2` or
    `family=[{...}, ...]` for the count and the people travelling. A country is an ISO code;
    a value that is no button of the question is typed.
    """
    reference = await _walk(chat, flow or intake_flow(), catalogs, answers, until=None)
    assert reference is not None
    return reference


async def answer_until(
    chat: Chat,
    until: str,
    flow: Flow | None = None,
    catalogs: Catalogs | None = None,
    **answers: Any,
) -> None:
    """Answer as `complete_intake` does, and stop when the bot asks step `until`."""
    await _walk(chat, flow or intake_flow(), catalogs, answers, until=until)


def is_turn(message: BotMessage, flow: Flow | None = None) -> bool:
    """Whether the bot, having sent `message`, waits for the person: a question or the end."""
    flow = flow or intake_flow()
    return _question(flow, None, message) is not None or REFERENCE.search(message.text) is not None


@functools.cache
def intake_flow() -> Flow:
    """The intake of conversations/intake.yaml, as the bot loads it."""
    return load_flows(ROOT / "conversations", LANGUAGES)["intake"]


@functools.cache
def _catalogs() -> Catalogs:
    return Catalogs(ROOT / "locales")


def _prompts(flow: Flow, catalogs: Catalogs | None) -> dict[str, tuple[Step, Step | None]]:
    """Each question's prompt, in every language, -> (step, its repeat group if any)."""
    if catalogs is None and (known := _PROMPTS.get(id(flow))) is not None:
        return known
    languages = catalogs or _catalogs()
    found: dict[str, tuple[Step, Step | None]] = {}
    for step in flow.steps:
        pairs: list[tuple[Step, Step | None]] = [(step, None)]
        if step.kind is Kind.REPEAT:
            pairs = [(sub, step) for sub in step.steps]
        for question, group in pairs:
            for language in languages.languages:
                prompt = languages.translator(language).gettext(question.prompt)
                found.setdefault(prompt, (question, group))
    # The longest first, so a prompt that contains another one wins.
    known = dict(sorted(found.items(), key=lambda item: -len(item[0])))
    if catalogs is None:  # kept for locales/ only: other catalogs are a test's own
        _PROMPTS[id(flow)] = known
    return known


_PROMPTS: dict[int, dict[str, tuple[Step, Step | None]]] = {}  # flows are not hashable


async def _walk(
    chat: Chat,
    flow: Flow,
    catalogs: Catalogs | None,
    given: Mapping[str, Any],
    until: str | None,
) -> str | None:
    answers = _expand(flow, given)
    if not chat.inbox or _question(flow, catalogs, chat.inbox[-1]) is None:
        await chat.say("/start")
    item, previous = -1, ""
    for _ in range(MOST_QUESTIONS):
        message = chat.inbox[-1]
        question = _question(flow, catalogs, message)
        if question is None:
            if found := REFERENCE.search(message.text):
                if until is not None:
                    raise AssertionError(f"the intake ended before {until!r}: {message.text}")
                return found[0]
            raise AssertionError(f"neither a question nor a reference: {message.text!r}")
        key, step, group, buttons = question
        if group is not None:  # which person of the group: from the key, else counted
            if key.count(".") == 2:
                item = int(key.split(".")[1])
            elif step is group.steps[0]:
                item += 1
            key = f"{group.id}.{item}.{step.id}"
        if until in (key, step.id if group is None else group.id):
            return None
        if key == previous:
            raise AssertionError(f"the bot asked {key!r} again: {message.text}")
        previous = key
        value = _value(step, group, item, answers, buttons)
        await _answer(chat, step, value, buttons)
    raise AssertionError(f"still asking after {MOST_QUESTIONS} questions")


def _expand(flow: Flow, given: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's answers by step id, `family` unfolded, unknown names refused."""
    answers = dict(given)
    if "family" in answers:
        family = answers.pop("family")
        members = family if isinstance(family, Sequence) else [{}] * int(family)
        answers.update(family_count=len(members), family_members=list(members))
    ids = {step.id for step in flow.steps}
    if unknown := sorted(set(answers) - ids):
        raise TypeError(f"no step {unknown} in flow {flow.id!r}; its steps: {sorted(ids)}")
    return answers


def _question(
    flow: Flow, catalogs: Catalogs | None, message: BotMessage
) -> tuple[str, Step, Step | None, list[str]] | None:
    """The question a message asks: its key, step, repeat group and button values."""
    key, values = None, []
    for button in message.buttons:
        parts = str(button.get("callback_data", "")).split("|")
        if len(parts) == 3 and parts[0].isdigit():
            key = parts[1]
            values.append(parts[2])
    if key is not None:
        head, *rest = key.split(".")
        top = flow.step(head)
        if rest:
            return key, next(s for s in top.steps if s.id == rest[-1]), top, values
        return key, top, None, values
    for prompt, (step, group) in _prompts(flow, catalogs).items():
        if prompt in message.text:
            return step.id, step, group, []
    return None


def _value(
    step: Step, group: Step | None, item: int, answers: dict[str, Any], buttons: list[str]
) -> Any:
    if group is not None:
        members = answers.get(group.id) or []
        member = members[item] if item < len(members) else {}
        return member.get(step.id, PLAIN_MEMBER.get(step.id, _default(step, buttons)))
    if step.id in answers:
        return answers[step.id]
    return PLAIN.get(step.id, _default(step, buttons))


def _default(step: Step, buttons: list[str]) -> Any:
    """A plain answer for a question no one named: by the kind of question."""
    if step.kind in BY_KIND:
        return BY_KIND[step.kind]
    if step.kind in (Kind.LANGUAGE, Kind.CONSENT, Kind.CHOICE, Kind.MULTI):
        first = next(option.value for option in step.options if not option.end)
        return [first] if step.kind is Kind.MULTI else first
    if step.kind is Kind.COUNTRY:
        return buttons[0] if buttons else "ML"
    if step.kind is Kind.NUMBER:
        return step.min or 0
    text = step.label or step.id  # TEXT: its own label, cut to fit
    return text.ljust(step.min or 0, ".")[: step.max or None]


async def _answer(chat: Chat, step: Step, value: Any, buttons: list[str]) -> None:
    if step.kind is Kind.MULTI:
        for choice in [value] if isinstance(value, str) else value:
            await chat.choose(choice)
        await chat.choose(DONE)
    elif isinstance(value, bool):
        await chat.choose(YES if value else NO)
    elif str(value) in buttons:
        await chat.choose(str(value))
    elif step.kind is Kind.COUNTRY and re.fullmatch(r"[A-Z]{2}", str(value)):
        await chat.say(country_name(str(value), "en"))
    else:
        await chat.say(str(value))
