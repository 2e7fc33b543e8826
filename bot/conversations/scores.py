"""Reading a check-in step's reintegration scores: its dimension, its weight in it, and
the score of each answer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.conversations.yamlines import LineDict
from bot.engine import Kind, Option
from bot.engine.runner import NO, YES
from bot.engine.scoring import DIMENSIONS


class ScoreReader:
    """The scoring part of the parser; `fail` and `_string` are the parser's."""

    def fail(self, line: int, message: str) -> None:
        raise NotImplementedError

    def _string(self, raw: LineDict, key: str, required: bool = False) -> str:
        raise NotImplementedError

    def _scored(
        self, raw: LineDict, kind: Kind, options: tuple[Option, ...], where: str
    ) -> tuple[tuple[Option, ...], str, float]:
        """The step's options with their scores, its dimension and its weight in it."""
        dimension = self._string(raw, "dimension")
        if "scores" in raw:
            if kind is Kind.YESNO:
                options = self._yesno_scores(raw["scores"], raw.lines["scores"], options, where)
            else:
                self.fail(
                    raw.lines["scores"],
                    f"{where}: only a yesno step has 'scores'; a choice gives each option a 'score'",
                )
        scored = any(o.score is not None for o in options)
        weight = raw.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            self.fail(raw.lines.get("weight", raw.line), f"{where}: 'weight' is a number above 0")
            weight = 1
        if dimension:
            if dimension not in DIMENSIONS:
                self.fail(
                    raw.lines["dimension"],
                    f"{where}: unknown dimension {dimension!r} ({', '.join(DIMENSIONS)})",
                )
            if kind not in (Kind.CHOICE, Kind.YESNO):
                self.fail(raw.lines["dimension"], f"{where}: only a choice or yesno step is scored")
            elif not scored:
                self.fail(raw.line, f"{where}: a step in a dimension needs a score on an option")
        elif scored:
            self.fail(raw.line, f"{where}: its answers have scores, but it names no 'dimension'")
        elif "weight" in raw:
            self.fail(raw.lines["weight"], f"{where}: 'weight' counts only with a 'dimension'")
        return options, dimension, float(weight)

    def _yesno_scores(
        self, raw: Any, line: int, options: tuple[Option, ...], where: str
    ) -> tuple[Option, ...]:
        if not isinstance(raw, LineDict) or not raw:
            self.fail(line, f'{where}: \'scores\' is a mapping such as {{"yes": 1, "no": 0}}')
            return options
        scores: dict[str, float | None] = {}
        for key in raw:
            # Unquoted, YAML reads yes and no as true and false: both spellings are taken.
            value = {"True": YES, "False": NO}.get(key, key)
            if value not in (YES, NO):
                self.fail(raw.lines[key], f"{where}: 'scores' names {key!r}: only yes and no")
                continue
            scores[value] = self._score(raw, key, f"{where}: the score of {value!r}")
        return tuple(replace(o, score=scores.get(o.value)) for o in options)

    def _score(self, raw: LineDict, key: Any, where: str) -> float | None:
        """A score from 0 to 1, or None when there is none."""
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.fail(raw.lines.get(key, raw.line), f"{where} must be a number from 0 to 1")
            return None
        return float(value)
