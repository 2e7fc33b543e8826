"""The engine replayed from data, in the manner of goflow's tests.

Each tests/engine/*.yaml holds a `description`, a `flow` ('conversations/intake.yaml',
'conversations/followup.yaml#day_7', or a flow written inline in the same format), a fixed
`now`, the `languages` its language questions offer (optional: fr and en, the settings'
default), and `turns`: one input each (`start: true`, `current: true`, `language: en`,
`text: ...`, `choice: {key, value, revision}` with the revision optional, `contact: ...`,
`other: sticker`), an optional `note`, and the `events` expected after it, as
Event.to_dict() gives them. An optional `session` holds the status and answers at the end.

`pytest tests/test_engine_transcripts.py --update-transcripts` rewrites the expected parts
from what the engine does now. Read the diff before committing it: it is the specification.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from bot.config import ROOT
from bot.conversations import load_flow, load_followups, offer_languages, parse_flow
from bot.conversations.yamlines import load
from bot.engine import (
    ChoiceInput,
    ContactInput,
    CountryIndex,
    DateWords,
    Event,
    Flow,
    Input,
    Kind,
    OtherInput,
    Resources,
    Session,
    Step,
    TextInput,
    current,
    resume,
    start,
)
from bot.i18n import date_words
from bot.phones import parse_phone

TRANSCRIPTS = Path(__file__).parent / "engine"
FILES = sorted(TRANSCRIPTS.glob("*.yaml"))
UPDATE = "--update-transcripts"

# A fixed table rather than Babel's names, so a Babel upgrade cannot change a transcript.
COUNTRY_NAMES = {
    "CD": ["Congo - Kinshasa", "Congo-Kinshasa"],
    "CG": ["Congo - Brazzaville", "Congo-Brazzaville"],
    "CI": ["Côte d’Ivoire"],
    "CM": ["Cameroon", "Cameroun"],
    "GN": ["Guinea", "Guinée"],
    "GQ": ["Equatorial Guinea", "Guinée équatoriale"],
    "GW": ["Guinea-Bissau", "Guinée-Bissau"],
    "MA": ["Morocco", "Maroc"],
    "ML": ["Mali"],
    "NE": ["Niger"],
    "NG": ["Nigeria", "Nigéria"],
    "SN": ["Senegal", "Sénégal"],
}
FILE_KEYS = ("description", "flow", "languages", "now", "turns", "session")
LANGUAGES = ("fr", "en")  # INTAKE_LANGUAGES by default
INPUT_KEYS = ("start", "current", "language", "text", "choice", "contact", "other")
TURN_KEYS = ("note", *INPUT_KEYS, "events")
_WIDTH = 100
_LINE = 80  # a mapping of scalars this long or shorter is written on one line


def resources(flow: Flow) -> Resources:
    """The phone parser and a country index with the flow's aliases, as the app builds them."""
    names = {code: list(names) for code, names in COUNTRY_NAMES.items()}
    for code, aliases in flow.aliases.items():
        names.setdefault(code, []).extend(aliases)
    dates = DateWords.build(*date_words(("en", "fr")))
    return Resources(parse_phone, CountryIndex.build(names, flow.ambiguous), dates=dates)


def flow_of(reference: Any, path: Path, languages: tuple[str, ...]) -> Flow:
    """'conversations/intake.yaml', 'conversations/followup.yaml#day_7', or an inline flow,
    its language questions offering `languages` as the bot's settings would."""
    if isinstance(reference, dict):
        return offer_languages(parse_flow(reference, str(path)), languages)
    file, _, checkin = str(reference).partition("#")
    if checkin:
        return load_followups(ROOT / file).checkin(checkin).flow
    return offer_languages(load_flow(ROOT / file), languages)


@dataclass
class Replay:
    """One conversation driven by a transcript's inputs, as a channel would drive it."""

    flow: Flow
    now: datetime
    resources: Resources
    session: Session | None = None

    def play(self, turn: dict[str, Any]) -> list[Event]:
        """Apply one turn's input; the events the engine decided."""
        given = [k for k in INPUT_KEYS if k in turn]
        if len(given) != 1:
            raise ValueError(f"a turn has one input of {', '.join(INPUT_KEYS)}: {turn}")
        kind, value = given[0], turn[given[0]]
        if kind == "start":
            transition = start(self.flow, self.now)
            self.session = transition.session
            return transition.events
        if self.session is None:
            raise ValueError(f"the first turn is 'start: true', not {kind!r}")
        if kind == "current":
            return current(self.flow, self.session, self.now)
        if kind == "language":
            # What /language does around the engine: the answer changes, the question repeats.
            if "language" in self.session.answers:
                self.session.answers["language"] = _text(value, kind)
            return current(self.flow, self.session, self.now)
        transition = resume(
            self.flow, self.session, self._input(kind, value), self.now, self.resources
        )
        self.session = transition.session
        return transition.events

    def _input(self, kind: str, value: Any) -> Input:
        assert self.session is not None
        if kind == "text":
            return TextInput(_text(value, kind))
        if kind == "contact":  # someone else's card: the channel passes on no number
            own = value != "someone else's"
            return ContactInput(_text(value, kind) if own else "", own=own)
        if kind == "other":
            return OtherInput(_text(value, kind))
        if not isinstance(value, dict) or not {"key", "value"} <= set(value):
            raise ValueError(f"choice is {{key: ..., value: ..., revision: ...}}, not {value!r}")
        revision = value.get("revision", self.session.revision)
        if not isinstance(revision, int):
            raise ValueError(f"a choice's revision is a whole number, not {revision!r}")
        return ChoiceInput(_text(value["key"], "key"), revision, _text(value["value"], "value"))

    def final(self) -> dict[str, Any]:
        """The session's outcome, for the optional `session:` part of a transcript."""
        assert self.session is not None
        data = self.session.to_dict()
        return {k: data[k] for k in ("status", "answers", "outcome") if data[k] is not None}


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string (quote it in YAML), not {value!r}")
    return value


@dataclass
class Transcript:
    path: Path
    doc: dict[str, Any]
    flow: Flow

    @classmethod
    def read(cls, path: Path) -> Transcript:
        with path.open(encoding="utf-8") as fh:
            raw = load(fh)
        unknown = set(raw) - set(FILE_KEYS)
        if unknown or not {"description", "flow", "now", "turns"} <= set(raw):
            raise ValueError(f"{path}: keys are {', '.join(FILE_KEYS)} (session optional)")
        languages = tuple(_text(code, "a language") for code in raw.get("languages", LANGUAGES))
        flow = flow_of(raw["flow"], path, languages)
        doc = _plain(raw)
        for turn in doc["turns"]:
            if not isinstance(turn, dict) or set(turn) - set(TURN_KEYS):
                raise ValueError(f"{path}: a turn's keys are {', '.join(TURN_KEYS)}: {turn}")
        return cls(path, doc, flow)

    @property
    def now(self) -> datetime:
        now = self.doc["now"]
        value = now if isinstance(now, datetime) else datetime.fromisoformat(str(now))
        if value.tzinfo is None:
            raise ValueError(f"{self.path}: 'now' needs a time zone, e.g. +00:00")
        return value

    def replay(self) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
        """The events after each turn, as plain data, and the session at the end."""
        run = Replay(self.flow, self.now, resources(self.flow))
        events = [[e.to_dict() for e in run.play(turn)] for turn in self.doc["turns"]]
        return events, run.final()

    def render(self, events: list[list[dict[str, Any]]], session: dict[str, Any] | None) -> str:
        """The file's text with these expectations, in a stable order and layout."""
        turns = []
        for turn, expected in zip(self.doc["turns"], events, strict=True):
            inputs = {k: turn[k] for k in TURN_KEYS[:-1] if k in turn}
            turns.append({**inputs, "events": expected})
        out: dict[str, Any] = {
            "description": self.doc["description"],
            "flow": self.doc["flow"],
            **({"languages": self.doc["languages"]} if "languages" in self.doc else {}),
            "now": self.now.isoformat(),
            "turns": turns,
        }
        if session is not None:
            out["session"] = session
        return dump(out)

    def expected(self) -> str:
        events = [turn.get("events") or [] for turn in self.doc["turns"]]
        return self.render(events, self.doc.get("session"))


def _plain(value: Any) -> Any:
    """Plain dicts and lists, ready to compare and to dump (YAML's LineDicts included)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """Lists of scalars and short mappings of scalars on one line; multi-line texts as blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # a list is indented under its key


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _represent_dict(dumper: _Dumper, data: dict[str, Any]) -> yaml.Node:
    width = sum(len(str(k)) + len(str(v)) + 4 for k, v in data.items())
    inline = width <= _LINE and all(_scalar(v) and "\n" not in str(v) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=inline)


def _represent_list(dumper: _Dumper, data: list[Any]) -> yaml.Node:
    inline = all(_scalar(v) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=_WIDTH)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path: Path, request: pytest.FixtureRequest) -> None:
    transcript = Transcript.read(path)
    events, session = transcript.replay()
    actual = transcript.render(events, session if "session" in transcript.doc else None)
    if request.config.getoption(UPDATE):
        if path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    expected = transcript.expected()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"{path.name} (expected)",
            f"{path.name} (actual)",
        )
        hint = f"\nIf the engine is right, rewrite the file with {UPDATE} and read its diff."
        pytest.fail("".join(diff) + hint, pytrace=False)


def _steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    for step in steps:
        yield step
        yield from _steps(step.steps)


def test_transcripts_cover_every_step_kind_and_every_event() -> None:
    kinds: set[Kind] = set()
    types: set[str] = set()
    for path in FILES:
        transcript = Transcript.read(path)
        steps = list(_steps(transcript.flow.steps))
        events = [e for turn in transcript.doc["turns"] for e in turn.get("events") or []]
        named = {e["step"] for e in events if "step" in e}
        said = {e["text"] for e in events if e["type"] == "said"}
        kinds |= {s.kind for s in steps if s.id in named or s.prompt in said}
        types |= {e["type"] for e in events}
    assert len(FILES) >= 25
    assert set(Kind) - kinds == set()
    assert types == {_snake(e.__name__) for e in get_args(Event)}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
