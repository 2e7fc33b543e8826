"""The case statuses: every move allowed or refused, the closed ones, their texts."""

from __future__ import annotations

from datetime import date

import pytest

from bot.answers import status_label
from bot.config import ROOT
from bot.i18n import Catalogs
from bot.status import (
    CLOSED,
    LABELS,
    NOTE_REQUIRED,
    PERSON_MESSAGES,
    TRANSITIONS,
    Status,
    TransitionRefused,
    check,
    parse,
    targets,
)

FRENCH = Catalogs(ROOT / "locales").translator("fr")
ALLOWED = {
    "submitted": {"in_review", "rejected", "withdrawn", "duplicate"},
    "in_review": {"needs_info", "waitlisted", "accepted", "rejected", "withdrawn", "duplicate"},
    "needs_info": {"in_review", "rejected", "withdrawn", "duplicate"},
    "waitlisted": {"accepted", "withdrawn", "rejected"},
    "accepted": {"doc_requested", "travel_booked", "withdrawn"},
    "doc_requested": {"doc_received", "withdrawn"},
    "doc_received": {"travel_booked", "withdrawn"},
    "travel_booked": {"departed", "withdrawn"},
    "rejected": {"closed"},
    "withdrawn": {"closed"},
    "departed": {"returned"},
    "returned": {"closed"},
    "closed": set(),
    "duplicate": set(),
}
EVERY_MOVE = [(current, target) for current in ALLOWED for target in ALLOWED]


def test_members_equal_the_strings_stored() -> None:
    assert [str(s) for s in Status] == list(ALLOWED)
    assert Status("needs_info") is Status.NEEDS_INFO
    assert f"{Status.NEEDS_INFO}" == "needs_info"


def test_every_status_has_a_row_in_the_transition_table() -> None:
    assert set(TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("current", "target"), EVERY_MOVE)
def test_every_move_is_allowed_or_refused_as_the_table_says(current: str, target: str) -> None:
    when = date(2026, 5, 1)
    if target in ALLOWED[current]:
        check(current, target, "Explained", when, duplicate_of="AVR-2026-00001")
        assert target in targets(current)
    else:
        with pytest.raises(TransitionRefused) as refused:
            check(current, target, "Explained", when, duplicate_of="AVR-2026-00001")
        assert refused.value.reason == "This status change is not allowed."


@pytest.mark.parametrize("target", sorted(NOTE_REQUIRED))
def test_a_decision_against_the_person_needs_a_note(target: Status) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check("submitted", target, "  ", None)
    assert refused.value.reason == "Write a note to explain this decision."
    assert {"rejected", "withdrawn"} == NOTE_REQUIRED


def test_a_return_needs_its_date() -> None:
    with pytest.raises(TransitionRefused) as refused:
        check("departed", "returned", "", None)
    assert refused.value.reason == "Give the date of return."
    check("departed", "returned", "", date(2026, 5, 1))


def test_closing_as_a_duplicate_needs_the_other_case() -> None:
    with pytest.raises(TransitionRefused) as refused:
        check("in_review", "duplicate", "", None, duplicate_of=" ")
    assert refused.value.reason == "Give the reference of the case this one duplicates."
    check("in_review", "duplicate", "", None, duplicate_of="AVR-2026-00001")


def test_an_unknown_status_moves_nowhere() -> None:
    assert parse("lost") is None and targets("lost") == ()
    with pytest.raises(TransitionRefused):
        check("lost", "closed", "note", None)
    with pytest.raises(TransitionRefused):
        check("submitted", "lost", "note", None)


def test_the_closed_statuses_are_the_ends_of_a_case_without_a_return() -> None:
    assert {"rejected", "withdrawn", "closed", "duplicate"} == CLOSED
    ends = (Status.CLOSED, Status.DUPLICATE)
    assert all(Status.CLOSED in TRANSITIONS[s] or s in ends for s in CLOSED)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_label_in_french(status: Status) -> None:
    assert status in LABELS
    assert status_label(status, FRENCH) != LABELS[status]


def test_an_unknown_status_is_shown_as_stored() -> None:
    assert status_label("lost", FRENCH) == "lost"


def test_the_person_is_told_of_every_move_a_caseworker_makes() -> None:
    reached = {target for row in TRANSITIONS.values() for target in row}
    assert set(PERSON_MESSAGES) == reached == set(Status) - {Status.SUBMITTED}
    assert all("{reference}" in message for message in PERSON_MESSAGES.values())
