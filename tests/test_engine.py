"""The engine on plain data: value parsers, sessions and events. Its behaviour turn by turn
is in the transcripts, tests/engine/*.yaml (tests/test_engine_transcripts.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest

from bot.conversations import parse_flow
from bot.conversations.yamlines import load
from bot.engine import (
    Asked,
    ChoiceInput,
    Completed,
    ConsentGiven,
    CountryIndex,
    Ended,
    Event,
    Ignored,
    Input,
    LanguageChosen,
    Option,
    Outdated,
    Recorded,
    Rejected,
    Resources,
    ReviewItem,
    Said,
    Session,
    TextInput,
    Toggled,
    resume,
    start,
)
from bot.engine.values import Invalid, clean_text, fold, parse_date, parse_number
from bot.phones import parse_phone

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
COUNTRIES = CountryIndex.build(
    {
        "SN": ["Senegal", "Sénégal"],
        "CI": ["Côte d’Ivoire"],
        "CG": ["Congo - Brazzaville", "Congo-Brazzaville"],
        "CD": ["Congo - Kinshasa", "Congo-Kinshasa", "RDC"],
        "CM": ["Cameroon", "Cameroun"],
    },
    {"Congo": ["CG", "CD"]},
)
RESOURCES = Resources(parse_phone=parse_phone, countries=COUNTRIES)

FLOW = parse_flow(
    load("""
flow: test
version: "1"
steps:
  - {id: consent, kind: consent, prompt: "Agree?", options: [
      {value: agree, label: "Yes"},
      {value: decline, label: "No", end: "Bye", outcome: declined}]}
  - {id: born, kind: date, not_future: true, year_only: true, prompt: "Born?", label: "Born"}
  - {id: note, kind: info, prompt: "You are young.", when: {born: {age_lt: 18}}}
  - {id: country, kind: country, suggest: [SN, CM], prompt: "Country?"}
  - {id: tel, kind: phone, default_region: MA, prompt: "Phone?"}
  - {id: skills, kind: multi, prompt: "Skills?", options: [
      {value: farming, label: "Farming"}, {value: other, label: "Other"}]}
  - {id: skills_other, kind: text, min: 2, max: 10, prompt: "Which?",
     when: {skills: {has: other}}}
  - {id: count, kind: number, min: 0, max: 5, buttons: [0, 1, 2], prompt: "How many?"}
  - id: people
    kind: repeat
    count_from: count
    prompt: "People"
    item_label: "Person {n} of {total}"
    steps:
      - {id: name, kind: text, min: 2, max: 50, prompt: "Name?"}
      - {id: born, kind: date, not_future: true, prompt: "Born?"}
  - {id: ok, kind: yesno, prompt: "OK?"}
  - {id: review, kind: review, prompt: "Check"}
flags:
  - {flag: minor, when: {born: {age_lt: 18}}}
  - {flag: with_child, when: {people: {any_item: {born: {age_lt: 18}}}}}
  - {flag: not_ok, when: {ok: false}}
"""),
    "test.yaml",
)


class Run:
    """Drive a session with inputs, as a channel would."""

    def __init__(self) -> None:
        transition = start(FLOW, NOW)
        self.session: Session = transition.session
        self.events: list[Any] = transition.events

    def send(self, given: Input) -> list[Any]:
        transition = resume(FLOW, self.session, given, NOW, RESOURCES)
        self.session, self.events = transition.session, transition.events
        return self.events

    def tap(self, value: str) -> list[Any]:
        return self.send(ChoiceInput(self.session.key or "", self.session.revision, value))

    def say(self, text: str) -> list[Any]:
        return self.send(TextInput(text))


def to_review(run: Run) -> None:
    run.tap("agree")
    run.say("01/01/1990")
    run.tap("SN")
    run.say("+221771234567")
    run.tap("farming")
    run.tap("done")
    run.tap("1")
    run.say("Person 0")
    run.say("01/01/2015")
    run.tap("yes")


# Values


@pytest.mark.parametrize(
    "text",
    ["25/12/1990", "25-12-1990", "25.12.1990", "1990-12-25", " 25 / 12 / 1990 ", "25 12 1990"],
)
def test_dates_in_every_accepted_format(text: str) -> None:
    assert parse_date(text, TODAY) == date(1990, 12, 25)


def test_single_digit_day_and_month() -> None:
    assert parse_date("1/2/1990", TODAY) == date(1990, 2, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12/25/90", "date_impossible"),  # a two-digit year is read, month 25 is not
        ("12/25/1990", "date_impossible"),
        ("1/1/990", "date_format"),
        ("tomorrow", "date_format"),
        ("31/04/1990", "date_impossible"),
        ("29/02/2023", "date_impossible"),
        ("28/11/2026", "date_future"),
        ("01/01/1899", "date_too_old"),
    ],
)
def test_refused_dates(text: str, reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_date(text, TODAY, not_future=True)
    assert refused.value.reason == reason


def test_today_is_not_in_the_future() -> None:
    assert parse_date("27/11/2026", TODAY, not_future=True) == TODAY


def test_numbers_and_text_bounds() -> None:
    assert parse_number(" 3 ", 0, 15) == 3
    with pytest.raises(Invalid, match="number_range"):
        parse_number("16", 0, 15)
    with pytest.raises(Invalid, match="number_format"):
        parse_number("3.5", 0, 15)
    assert clean_text("  Awa \n Diallo ", 2, 100) == "Awa Diallo"
    with pytest.raises(Invalid) as short:
        clean_text(" a ", 2, 100)
    assert (short.value.reason, short.value.params) == ("text_too_short", {"min": 2})


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0612345678", "MA", "+212612345678"),
        ("+212 6 12-34-56-78", "MA", "+212612345678"),
        ("00221 77 123 45 67", "MA", "+221771234567"),
        ("+237 6 77 12 34 56", None, "+237677123456"),
        ("12345", "MA", None),
        ("+212 1", "MA", None),
        ("not a number", "MA", None),
    ],
)
def test_phone_numbers_are_validated_and_stored_e164(
    raw: str, region: str | None, expected: str | None
) -> None:
    assert parse_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("typed", "codes", "exact"),
    [
        ("senegal", ("SN",), True),
        ("SÉNÉGAL", ("SN",), True),
        ("cote d'ivoire", ("CI",), True),
        ("Côte d’Ivoire", ("CI",), True),
        ("rdc", ("CD",), True),
        ("congo-brazzaville", ("CG",), True),
        ("Congo", ("CG", "CD"), False),
        ("Senegall", ("SN",), False),
        ("Atlantis", (), False),
    ],
)
def test_country_matching(typed: str, codes: tuple[str, ...], exact: bool) -> None:
    assert COUNTRIES.match(typed) == (codes, exact)


def test_fold_strips_case_accents_and_punctuation() -> None:
    assert fold("  Côte d’Ivoire! ") == "cote d ivoire"


# Runner


def test_resume_leaves_the_given_session_untouched() -> None:
    run = Run()
    original = run.session
    snapshot = Session.from_dict(original.to_dict())
    run.tap("agree")
    assert original == snapshot
    assert run.session.revision > original.revision


def test_session_round_trips_through_json_ready_dict() -> None:
    run = Run()
    to_review(run)
    assert Session.from_dict(run.session.to_dict()) == run.session
    assert isinstance(run.events[0], Recorded)


# Events as plain data

_BORN, _SKILLS, _PEOPLE = FLOW.step("born"), FLOW.step("skills"), FLOW.step("people")
_NAME = _PEOPLE.steps[0]
PLAIN_EVENTS: list[tuple[Event, dict[str, Any]]] = [
    (
        Asked("born", _BORN, 3),
        {"type": "asked", "key": "born", "step": "born", "revision": 3},
    ),
    (
        Asked(
            "people.0.name",
            _NAME,
            7,
            options=(Option("keep", "Keep the current answer"),),
            index=0,
            total=2,
            previous=False,
            hint="country_which",
        ),
        {
            "type": "asked",
            "key": "people.0.name",
            "step": "name",
            "revision": 7,
            "options": ["keep"],
            "index": 0,
            "total": 2,
            "previous": False,
            "hint": "country_which",
        },
    ),
    (
        Asked(
            "review",
            FLOW.step("review"),
            9,
            options=(Option("confirm", "Confirm"), Option("edit:born", "Born")),
            review=(
                ReviewItem("born", _BORN, "1990-01-01"),
                ReviewItem("people", _PEOPLE, [{"name": "Ana"}]),
                ReviewItem("people.0.name", _NAME, "Ana", 0),
            ),
        ),
        {
            "type": "asked",
            "key": "review",
            "step": "review",
            "revision": 9,
            "options": ["confirm", "edit:born"],
            "review": {"born": "1990-01-01", "people": [{"name": "Ana"}], "people.0.name": "Ana"},
        },
    ),
    (
        Recorded("born", _BORN, date(1990, 12, 25)),
        {"type": "recorded", "key": "born", "step": "born", "value": "1990-12-25"},
    ),
    (
        Recorded("count", FLOW.step("count"), 0),
        {"type": "recorded", "key": "count", "step": "count", "value": 0},
    ),
    (
        Toggled("skills", _SKILLS, 4, ("other",), (Option("other", "Other"), Option("done", ""))),
        {
            "type": "toggled",
            "key": "skills",
            "step": "skills",
            "revision": 4,
            "selected": ["other"],
            "options": ["other", "done"],
        },
    ),
    (
        Rejected("count", FLOW.step("count"), "number_range", {"min": 0, "max": None}),
        {
            "type": "rejected",
            "key": "count",
            "step": "count",
            "reason": "number_range",
            "params": {"min": 0, "max": None},
        },
    ),
    (
        Rejected("born", _BORN, "date_future"),
        {"type": "rejected", "key": "born", "step": "born", "reason": "date_future"},
    ),
    (Said("You are young."), {"type": "said", "text": "You are young."}),
    (LanguageChosen("fr"), {"type": "language_chosen", "language": "fr"}),
    (ConsentGiven("2026-11"), {"type": "consent_given", "version": "2026-11"}),
    (
        Completed({"born": "2010", "people": [{"born": date(2015, 1, 1)}]}, ("minor",)),
        {
            "type": "completed",
            "answers": {"born": "2010", "people": [{"born": "2015-01-01"}]},
            "flags": ["minor"],
        },
    ),
    (
        Ended("declined", "Bye"),
        {"type": "ended", "outcome": "declined", "text": "Bye"},
    ),
    (Outdated("consent"), {"type": "outdated", "key": "consent"}),
    (Ignored("unknown_value"), {"type": "ignored", "reason": "unknown_value"}),
]


@pytest.mark.parametrize(
    ("event", "expected"),
    PLAIN_EVENTS,
    ids=[f"{type(e).__name__}-{i}" for i, (e, _) in enumerate(PLAIN_EVENTS)],
)
def test_an_event_as_plain_data_names_steps_by_id_and_leaves_out_defaults(
    event: Event, expected: dict[str, Any]
) -> None:
    assert event.to_dict() == expected
    assert json.loads(json.dumps(event.to_dict())) == expected


def test_every_event_type_has_a_plain_data_example() -> None:
    assert {type(e) for e, _ in PLAIN_EVENTS} == set(get_args(Event))
