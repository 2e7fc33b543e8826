"""Reintegration scores from a check-in's answers: 0..1 per dimension, and a composite.

The answers of a check-in's scored steps (each in one dimension, each option with a score
from 0 to 1) give each dimension the weighted mean of its answered steps; the composite is
the mean of the dimensions answered, weighted by the flow's `Scoring`. An answer whose
option has no score ("I have no children of school age") counts as not answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.engine.flow import Flow, Step

ECONOMIC, SOCIAL, PSYCHOSOCIAL = "economic", "social", "psychosocial"
DIMENSIONS = (ECONOMIC, SOCIAL, PSYCHOSOCIAL)
COMPOSITE = "composite"
# A flag rule reads a score under this prefix: {score.economic: {lte: 0.25}}. A step id
# cannot hold a dot, so the name never hides an answer.
PREFIX = "score."
SCORE_NAMES = frozenset(f"{PREFIX}{name}" for name in (*DIMENSIONS, COMPOSITE))


@dataclass(frozen=True)
class Scores:
    """A check-in's scores, each 0..1, or None where nothing of it was answered."""

    economic: float | None = None
    social: float | None = None
    psychosocial: float | None = None
    composite: float | None = None

    def by_name(self) -> dict[str, float | None]:
        return {
            ECONOMIC: self.economic,
            SOCIAL: self.social,
            PSYCHOSOCIAL: self.psychosocial,
            COMPOSITE: self.composite,
        }


def step_score(step: Step, answer: Any) -> float | None:
    """The score of one answer to a scored step; None when it does not count."""
    if not step.dimension:
        return None
    value = ("yes" if answer else "no") if isinstance(answer, bool) else answer
    if not isinstance(value, str):
        return None
    option = step.option(value)
    return option.score if option is not None else None


def dimension_scores(flow: Flow, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Each dimension's weighted mean of its answered scored steps (None: none answered)."""
    totals: dict[str, tuple[float, float]] = {}
    for step in flow.steps:
        if step.id not in answers:
            continue
        points = step_score(step, answers[step.id])
        if points is None:
            continue
        weighted, weights = totals.get(step.dimension, (0.0, 0.0))
        totals[step.dimension] = (weighted + step.weight * points, weights + step.weight)
    return {
        name: totals[name][0] / totals[name][1] if name in totals else None for name in DIMENSIONS
    }


def composite(dimensions: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The dimensions present, weighted; None when none is present."""
    present = {
        name: value
        for name, value in dimensions.items()
        if value is not None and weights.get(name, 0) > 0
    }
    total = sum(weights[name] for name in present)
    if not present or total <= 0:
        return None
    return sum(weights[name] * value for name, value in present.items()) / total


def score(flow: Flow, answers: Mapping[str, Any]) -> Scores:
    """A check-in's scores; all None for a flow without scoring."""
    if flow.scoring is None:
        return Scores()
    dimensions = dimension_scores(flow, answers)
    return Scores(
        economic=dimensions[ECONOMIC],
        social=dimensions[SOCIAL],
        psychosocial=dimensions[PSYCHOSOCIAL],
        composite=composite(dimensions, flow.scoring.weights),
    )


def score_facts(flow: Flow, answers: Mapping[str, Any]) -> dict[str, float]:
    """The scores known, as `score.<name>` facts a flag rule's condition can read."""
    if flow.scoring is None:
        return {}
    known = score(flow, answers).by_name()
    return {f"{PREFIX}{name}": value for name, value in known.items() if value is not None}
