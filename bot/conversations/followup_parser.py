"""The parser of the follow-up file: the schedule and every check-in, each a flow."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from bot.conversations.parser import ID, Parser
from bot.conversations.yamlines import LineDict
from bot.engine import Flow, Kind
from bot.engine.checkins import FLOW_PREFIX, Checkin, Followups, Schedule
from bot.engine.flow import Scoring
from bot.engine.scoring import COMPOSITE, DIMENSIONS, PREFIX

_FOLLOWUP_KEYS = {"flow", "version", "schedule", "scoring", "checkins"}
_TOLERANCE = 1e-6  # weights written with decimals, such as 0.4 + 0.3 + 0.3
_CHECKIN_KEYS = {"id", "label", "after", "steps", "flags"}
# The kinds a check-in can ask. Language and consent belong to the intake, and a review or
# a repeat group is rendered from the intake's own steps: in a check-in they would fail
# when the question is sent, so the check refuses them first.
CHECKIN_KINDS = frozenset(
    {
        Kind.INFO,
        Kind.CHOICE,
        Kind.MULTI,
        Kind.YESNO,
        Kind.TEXT,
        Kind.NUMBER,
        Kind.DATE,
        Kind.PHONE,
        Kind.COUNTRY,
    }
)


class FollowupParser(Parser):
    """A parser that also reads the follow-up file's schedule and check-ins."""

    def followups(self, data: Any) -> Followups | None:
        if not isinstance(data, LineDict):
            self.fail(1, "a follow-up file is a mapping with 'schedule' and 'checkins'")
            return None
        self._unknown_keys(data, _FOLLOWUP_KEYS, "follow-up file")
        version = str(data.get("version", ""))
        if not version:
            self.fail(data.line, "missing 'version'")
        schedule = self._schedule(data.get("schedule"), data.lines.get("schedule", data.line))
        scoring = self._scoring(data)
        raw = data.get("checkins")
        if not isinstance(raw, list) or not raw:
            self.fail(data.lines.get("checkins", data.line), "'checkins' must be a non-empty list")
            raw = []
        checkins: list[Checkin] = []
        for item in raw:
            checkin = self._checkin(item, version, scoring)
            if checkin is None:
                continue
            if any(c.id == checkin.id for c in checkins):
                self.fail(item.line, f"duplicate check-in id {checkin.id!r}")
            checkins.append(checkin)
        return Followups(schedule, tuple(checkins))

    def _schedule(self, raw: Any, line: int) -> Schedule:
        if not isinstance(raw, LineDict):
            self.fail(line, "'schedule' is a mapping")
            return Schedule()
        defaults = Schedule()
        allowed = {f.name for f in fields(Schedule)}
        self._unknown_keys(raw, allowed, "schedule")
        values = {}
        for name in allowed:
            value = self._int(raw, name)
            if value is not None and value < 0:
                self.fail(raw.lines[name], f"schedule.{name} must not be negative")
            values[name] = getattr(defaults, name) if value is None else value
        schedule = Schedule(**values)
        for name in ("send_hour", "quiet_from", "quiet_until"):
            if not 0 <= getattr(schedule, name) <= 23:
                self.fail(raw.lines.get(name, line), f"schedule.{name} is an hour, 0 to 23")
        if schedule.quiet(schedule.send_hour):
            self.fail(raw.lines.get("send_hour", line), "schedule.send_hour is in quiet hours")
        if schedule.max_attempts < 1:
            self.fail(raw.lines.get("max_attempts", line), "schedule.max_attempts is at least 1")
        return schedule

    def _scoring(self, data: LineDict) -> Scoring | None:
        """The dimensions' weights in the composite score: each 0..1, summing to 1."""
        raw = data.get("scoring")
        if raw is None:
            return None
        line = data.lines["scoring"]
        if not isinstance(raw, LineDict) or set(raw) != {"weights"}:
            self.fail(line, "'scoring' is {weights: {economic: W, social: W, psychosocial: W}}")
            return None
        table = raw["weights"]
        if not isinstance(table, LineDict) or not table:
            self.fail(raw.lines["weights"], "scoring.weights maps each dimension to its weight")
            return None
        weights: dict[str, float] = {}
        for name, value in table.items():
            where = table.lines[name]
            if name not in DIMENSIONS:
                self.fail(where, f"scoring.weights: unknown dimension {name!r} "
                                 f"({', '.join(DIMENSIONS)})")  # fmt: skip
            elif isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(where, f"scoring.weights.{name} must be a number from 0 to 1")
            elif not 0 <= value <= 1:
                self.fail(where, f"scoring.weights.{name} is {value}: it must be from 0 to 1")
            else:
                weights[name] = float(value)
        if weights and len(weights) == len(table) and abs(sum(weights.values()) - 1) > _TOLERANCE:
            total = round(sum(weights.values()), 6)
            self.fail(raw.lines["weights"], f"scoring.weights add up to {total}, not 1")
        return Scoring(weights)

    def _scores(self, checkin_id: str, steps: list[Any], scoring: Scoring | None) -> set[str]:
        """The scores a check-in computes, as flag rules name them; each dimension it scores
        needs a weight."""
        dimensions = {step.dimension for step in steps if step.dimension}
        if not dimensions:
            return set()
        if scoring is None:
            self.fail(steps[0].line, f"check-in {checkin_id!r} scores answers, but the file "
                                     "has no 'scoring' with the dimensions' weights")  # fmt: skip
            return set()
        for step in steps:
            if step.dimension in DIMENSIONS and scoring.weights.get(step.dimension, 0) <= 0:
                self.fail(step.line, f"step {step.id!r}: dimension {step.dimension!r} has no "
                                     "weight in scoring.weights")  # fmt: skip
        return {f"{PREFIX}{name}" for name in (*dimensions, COMPOSITE)}

    def _checkin(self, raw: Any, version: str, scoring: Scoring | None) -> Checkin | None:
        if not isinstance(raw, LineDict):
            self.fail(getattr(raw, "line", 1), "each check-in is a mapping with 'id' and 'after'")
            return None
        self._unknown_keys(raw, _CHECKIN_KEYS, "check-in")
        checkin_id = self._string(raw, "id", required=True)
        label = self._string(raw, "label", required=True)
        if checkin_id and not ID.match(checkin_id):
            self.fail(raw.lines["id"], f"check-in id {checkin_id!r}: lower case, digits, _")
        after = raw.get("after")
        days = months = 0
        if not isinstance(after, LineDict) or not set(after) <= {"days", "months"} or not after:
            self.fail(raw.lines.get("after", raw.line), "'after' is {days: N} and/or {months: N}")
        else:
            days, months = self._int(after, "days") or 0, self._int(after, "months") or 0
        raw_steps = raw.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            self.fail(raw.lines.get("steps", raw.line), "'steps' must be a non-empty list")
            raw_steps = []
        steps = self._steps(raw_steps, known=set(), numbers=set(), countries=set())
        for step in steps:
            if step.kind not in CHECKIN_KINDS:
                kinds = ", ".join(sorted(CHECKIN_KINDS))
                self.fail(
                    step.line,
                    f"check-in {checkin_id!r}, step {step.id!r}: a check-in cannot ask a "
                    f"{step.kind} step (it can ask: {kinds})",
                )
        if steps and steps[0].kind is Kind.INFO:
            self.fail(steps[0].line, "a check-in starts with a question: one message, not two")
        scores = self._scores(checkin_id, steps, scoring)
        flags = self._flags(raw.get("flags") or [], {s.id for s in steps} | scores, raw.line)
        flow = Flow(id=f"{FLOW_PREFIX}{checkin_id}", version=version, steps=tuple(steps))
        flow = replace(flow, flags=tuple(flags), scoring=scoring if scores else None)
        return Checkin(checkin_id, label, days, months, flow)
