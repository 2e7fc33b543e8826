"""Reintegration scores: answers in, scores out, hand-computed from the check-in file.

The answers' scores are those of conversations/followup.yaml (0 worst, 1 best), and the
dimensions weigh economic 0.4, social 0.3, psychosocial 0.3 in the composite."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import ROOT
from bot.conversations import load_followups
from bot.engine import Flow, Kind, Option, Step
from bot.engine.flow import Scoring
from bot.engine.scoring import Scores, composite, score, score_facts, step_score

FOLLOWUPS = load_followups(ROOT / "conversations" / "followup.yaml")

BEST = {
    "activity": "running", "income": "enough_several", "food": "never",
    "debt": "free_can_borrow", "housing": "good", "services": "always", "documents": "has",
    "support": "both", "belonging": "belong", "distress": "never", "leave_again": False,
    "urgent": "none",
}  # fmt: skip
WORST = {
    "activity": "stopped", "income": "none", "food": "often", "debt": "owe_cannot_borrow",
    "housing": "no_place", "services": "never", "documents": "none", "support": "neither",
    "belonging": "rejected", "distress": "often", "leave_again": True, "urgent": "safety",
}  # fmt: skip
MIXED = {
    "activity": "running_short", "income": "short_several", "food": "sometimes",
    "debt": "owe_can_borrow", "housing": "poor", "services": "sometimes",
    "documents": "in_progress", "support": "support_only", "belonging": "belong",
    "distress": "sometimes", "leave_again": False, "urgent": "health",
}  # fmt: skip
LOW = {
    "activity": "stopped", "income": "short_one", "food": "sometimes",
    "debt": "owe_cannot_borrow", "housing": "no_place", "services": "sometimes",
    "school": "no_children", "support": "support_only", "belonging": "partly",
    "distress": "often", "leave_again": True, "urgent": "health",
}  # fmt: skip

TABLE: list[tuple[str, str, dict[str, Any], Scores]] = [
    # Every answer the best: each dimension 1, and so the composite.
    ("best", "month_3", BEST, Scores(1.0, 1.0, 1.0, 1.0)),
    # Every answer the worst ("I do not feel safe" scores 0 as feeling safe): all 0.
    ("worst", "month_3", WORST, Scores(0.0, 0.0, 0.0, 0.0)),
    # economic (0.67 + 0.5 + 0.5 + 0.67) / 4 = 2.34 / 4 = 0.585
    # social (0.67 + 0.5 + 0.5) / 3 = 1.67 / 3 = 0.556667
    # psychosocial (0.5 + 1 + 0.5 + 1 + 1) / 5 = 4 / 5 = 0.8 (a health problem: safe, 1)
    # composite 0.4 * 0.585 + 0.3 * 0.556667 + 0.3 * 0.8 = 0.234 + 0.167 + 0.24 = 0.641
    ("mixed", "month_3", MIXED, Scores(0.585, 1.67 / 3, 0.8, 0.641)),
    # Only the economic answers: (1 + 0.75) / 2 = 0.875; the others None; the composite
    # is over the economic dimension alone: 0.4 * 0.875 / 0.4 = 0.875.
    ("economic only", "month_3", {"activity": "job", "income": "enough_one"},
     Scores(0.875, None, None, 0.875)),
    # "No children of school age" has no score and does not count:
    # economic (0 + 0.25 + 1 + 0.33) / 4 = 1.58 / 4 = 0.395
    # social (1 + 0) / 2 = 0.5, no psychosocial answer: None
    # composite (0.4 * 0.395 + 0.3 * 0.5) / (0.4 + 0.3) = (0.158 + 0.15) / 0.7 = 0.44
    ("no children, no psychosocial", "month_6",
     {"activity": "stopped", "income": "short_one", "food": "never",
      "debt": "free_cannot_borrow", "housing": "good", "services": "never",
      "school": "no_children"},
     Scores(0.395, 0.5, None, 0.44)),
    # The transcript's 6-month check-in (tests/engine/followup_month_6.yaml):
    # economic (0 + 0.25 + 0.5 + 0) / 4 = 0.1875 (at most 0.25: low_economic_score)
    # social (0 + 0.5) / 2 = 0.25 (school: no children, not counted)
    # psychosocial (0.5 + 0.5 + 0 + 0 + 1) / 5 = 2 / 5 = 0.4
    # composite 0.4 * 0.1875 + 0.3 * 0.25 + 0.3 * 0.4 = 0.075 + 0.075 + 0.12 = 0.27
    ("low", "month_6", LOW, Scores(0.1875, 0.25, 0.4, 0.27)),
    # Nothing scored answered: nothing to say.
    ("nothing", "month_12", {}, Scores()),
    # A check-in without scored steps scores nothing, whatever it was told.
    ("not scored", "day_7", {"staying": "no_place", "urgent": "none"}, Scores()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("checkin", "answers", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_scores_from_answers(checkin: str, answers: dict[str, Any], expected: Scores) -> None:
    got = score(FOLLOWUPS.checkin(checkin).flow, answers)
    for name, value in expected.by_name().items():
        actual = got.by_name()[name]
        assert actual == (None if value is None else pytest.approx(value, abs=1e-9)), name


def step(step_id: str, weight: float, *scores: float | None) -> Step:
    options = tuple(Option(f"o{i}", f"O{i}", score=s) for i, s in enumerate(scores))
    return Step(step_id, Kind.CHOICE, "?", options=options, dimension="economic", weight=weight)


def test_a_heavier_step_counts_more_in_its_dimension() -> None:
    flow = Flow(
        "f", "1", (step("a", 3, 1.0, 0.0), step("b", 1, 1.0, 0.0)), scoring=Scoring({"economic": 1})
    )
    # (3 * 1 + 1 * 0) / (3 + 1) = 0.75
    assert score(flow, {"a": "o0", "b": "o1"}).economic == pytest.approx(0.75)
    assert score(flow, {"a": "o1", "b": "o0"}).economic == pytest.approx(0.25)


def test_a_yes_or_no_is_scored_by_its_option() -> None:
    leave = FOLLOWUPS.checkin("month_3").flow.step("leave_again")
    assert (step_score(leave, True), step_score(leave, False)) == (0.0, 1.0)
    assert step_score(leave, "maybe") is None  # not an option: not counted


def test_the_composite_weighs_only_the_dimensions_present() -> None:
    weights = {"economic": 0.4, "social": 0.3, "psychosocial": 0.3}
    # (0.3 * 1 + 0.3 * 0) / 0.6 = 0.5
    assert composite({"economic": None, "social": 1.0, "psychosocial": 0.0}, weights) == 0.5
    assert composite({"economic": None, "social": None, "psychosocial": None}, weights) is None
    assert composite({"economic": 1.0}, {"economic": 0.0, "social": 1.0}) is None


def test_flag_rules_read_the_scores_known() -> None:
    flow = FOLLOWUPS.checkin("month_6").flow
    facts = score_facts(flow, LOW)
    assert facts["score.economic"] == pytest.approx(0.1875)
    assert "score.psychosocial" not in score_facts(flow, {"activity": "job"})
    assert score_facts(FOLLOWUPS.checkin("day_7").flow, {"staying": "no_place"}) == {}
