"""Reading conversations/*.yaml into engine flows, with file:line errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.conversations.checklist import CHECKLIST_FILE, check_checklist
from bot.conversations.followup_parser import FollowupParser
from bot.conversations.parser import Parser, Problem
from bot.conversations.yamlines import load
from bot.engine import Flow, Kind, Option, Step
from bot.engine.checkins import Followups

_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# The office's facts a consent may name (bot.chat.office.Office.consent_facts).
CONSENT_PLACEHOLDERS = frozenset(
    {"office", "recipient_names", "recipient_list", "retention_days", "abandoned_days", "visit"}
)
FOLLOWUP_FILE = "followup.yaml"


class FlowError(Exception):
    """A flow file that cannot be used; str() lists every problem as file:line: message."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in self.problems))


def load_flow(path: Path) -> Flow:
    """Read and check one flow file."""
    with path.open(encoding="utf-8") as fh:
        data = load(fh)
    return parse_flow(data, str(path))


def load_flows(directory: Path, languages: Sequence[str]) -> dict[str, Flow]:
    """Every flow of a directory's *.yaml files (check-ins included), by flow id; their
    language questions offer `languages`."""
    flows: dict[str, Flow] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == CHECKLIST_FILE:  # not a flow: bot.conversations.checklist reads it
            continue
        if path.name == FOLLOWUP_FILE:
            flows.update(load_followups(path).flows)
        else:
            flow = offer_languages(load_flow(path), languages)
            flows[flow.id] = flow
    return flows


def offer_languages(flow: Flow, languages: Sequence[str]) -> Flow:
    """The flow whose language questions offer `languages`, in their order, as buttons
    (labelled by the channel with each language's own name)."""
    options = tuple(Option(language, "") for language in languages)
    steps = tuple(
        replace(step, options=options) if step.kind is Kind.LANGUAGE else step
        for step in flow.steps
    )
    return replace(flow, steps=steps)


def load_followups(path: Path) -> Followups:
    """Read and check the follow-up file: the schedule and every check-in."""
    with path.open(encoding="utf-8") as fh:
        data = load(fh)
    parser = FollowupParser()
    followups = parser.followups(data)
    if parser.problems or followups is None:
        raise FlowError(str(path), parser.problems or [Problem(1, "empty follow-up file")])
    for checkin in followups.checkins:
        check_placeholders(checkin.flow, str(path))
    return followups


def parse_flow(data: Any, path: str = "<flow>") -> Flow:
    parser = Parser()
    flow = parser.flow(data)
    if parser.problems or flow is None:
        raise FlowError(path, parser.problems or [Problem(1, "empty flow file")])
    check_placeholders(flow, path)
    return flow


def flow_texts(flow: Flow) -> Iterator[tuple[str, int]]:
    """Every translatable text of a flow, with the line of its step."""
    for step in _walk(flow.steps):
        for text in (step.prompt, step.label, step.item_label, step.notice):
            if text:
                yield text, step.line
        for option in step.options:
            if option.label:
                yield option.label, step.line
            if option.end:
                yield option.end, step.line


def check_placeholders(flow: Flow, path: str) -> None:
    """Texts may name only the placeholders the channel fills in."""
    problems = []
    for step in _walk(flow.steps):
        allowed = {"office", "n", "total"} if step.item_label else {"office"}
        texts = [step.prompt, step.label, step.item_label]
        if step.kind is Kind.CONSENT:
            allowed = set(CONSENT_PLACEHOLDERS)
            texts.append(step.notice)
        texts += [t for o in step.options for t in (o.label, o.end or "")]
        for text in texts:
            unknown = set(_PLACEHOLDER.findall(text)) - allowed
            if unknown:
                names = ", ".join(sorted(unknown))
                problems.append(
                    Problem(step.line, f"step {step.id!r}: unknown placeholder {names}")
                )
    if problems:
        raise FlowError(path, problems)


def check_translations(flow: Flow, path: str, catalogs: Mapping[str, Iterable[str]]) -> list[str]:
    """Problems 'file:line: ...' for texts missing from a language's catalog."""
    problems = []
    for language, ids in catalogs.items():
        known = set(ids)
        for text, line in flow_texts(flow):
            if text not in known:
                problems.append(f"{path}:{line}: no {language} translation for {text!r}")
    return problems


def check_file(path: Path, catalogs: Mapping[str, Iterable[str]]) -> list[str]:
    """Every problem of one conversation file, translations included (FlowError or
    ChecklistError raised)."""
    if path.name == CHECKLIST_FILE:
        return check_checklist(path, catalogs)
    if path.name != FOLLOWUP_FILE:
        return check_translations(load_flow(path), str(path), catalogs)
    followups = load_followups(path)
    problems = []
    for checkin in followups.checkins:
        problems.extend(check_translations(checkin.flow, str(path), catalogs))
        for language, ids in catalogs.items():
            if checkin.label not in set(ids):
                problems.append(f"{path}: no {language} translation for {checkin.label!r}")
    return problems


def _walk(steps: Iterable[Step]) -> Iterator[Step]:
    for step in steps:
        yield step
        yield from _walk(step.steps)
