"""The parser of conversation files: YAML with line numbers in, engine flows out, every
problem collected with its line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.conversations.scores import ScoreReader
from bot.conversations.yamlines import LineDict
from bot.engine import FlagRule, Flow, Kind, Option, Step
from bot.engine.conditions import OPERATORS, All, AnyItem, AnyOf, Condition, Test, referenced_steps
from bot.engine.flow import N_
from bot.engine.navigation import DONE, EDIT_PREFIX, KEEP
from bot.engine.runner import NO, YES
from bot.engine.scoring import PREFIX

CALLBACK_LIMIT = 64
# A callback is "<revision>|<key>|<value>"; revisions stay far below a million.
_CALLBACK_OVERHEAD = len("999999||")
_MAX_REPEAT = 99
ID = re.compile(r"^[a-z][a-z0-9_]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_RESERVED = {DONE, KEEP}

_STEP_KEYS = {
    "id",
    "kind",
    "prompt",
    "label",
    "options",
    "when",
    "min",
    "max",
    "not_future",
    "year_only",
    "default_region",
    "suggest",
    "default_from",
    "steps",
    "count_from",
    "item_label",
    "buttons",
    "version",
    "sensitive",
    "notice",
    "dimension",
    "weight",
    "scores",
}
_TOP_KEYS = {"flow", "version", "countries", "steps", "flags"}
_OPTION_KEYS = {"value", "label", "end", "outcome", "score"}


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


class Parser(ScoreReader):
    """Builds flows from parsed YAML, collecting every problem with its line."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.groups: dict[str, set[str]] = {}

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def flow(self, data: Any) -> Flow | None:
        if not isinstance(data, LineDict):
            self.fail(1, "a flow file is a mapping with 'flow', 'version' and 'steps'")
            return None
        self._unknown_keys(data, _TOP_KEYS, "flow")
        flow_id = self._string(data, "flow", required=True)
        version = str(data.get("version", ""))
        if not version:
            self.fail(data.line, "missing 'version'")
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            self.fail(data.lines.get("steps", data.line), "'steps' must be a non-empty list")
            raw_steps = []
        steps = self._steps(raw_steps, known=set(), numbers=set(), countries=set())
        review = [i for i, s in enumerate(steps) if s.kind is Kind.REVIEW]
        if review and review != [len(steps) - 1]:
            self.fail(steps[review[0]].line, "a review step must be the last step, and only one")
        for step in steps if review else ():
            if len(f"{steps[-1].id}{EDIT_PREFIX}{step.id}") + _CALLBACK_OVERHEAD > CALLBACK_LIMIT:
                self.fail(step.line, f"step {step.id!r}: its edit button data exceeds 64 bytes")
        for step in steps:
            if step.dimension:
                self.fail(step.line, f"step {step.id!r}: only a check-in's answers are scored")
        step_ids = {s.id for s in steps}
        flags = self._flags(data.get("flags") or [], step_ids, data.lines.get("flags", 1))
        aliases, ambiguous = self._countries(data.get("countries") or LineDict())
        return Flow(
            id=flow_id,
            version=version,
            steps=tuple(steps),
            flags=tuple(flags),
            aliases=aliases,
            ambiguous=ambiguous,
        )

    def _steps(
        self,
        raw: list[Any],
        known: set[str],
        numbers: set[str],
        countries: set[str],
        prefix: str = "",
    ) -> list[Step]:
        steps: list[Step] = []
        seen = set(known)
        for item in raw:
            if not isinstance(item, LineDict):
                self.fail(getattr(item, "line", 1), "each step is a mapping with 'id' and 'kind'")
                continue
            step = self._step(item, seen, numbers, countries, prefix)
            if step is None:
                continue
            if step.id in seen:
                self.fail(item.line, f"duplicate step id {step.id!r}")
            seen.add(step.id)
            if step.kind is Kind.NUMBER:
                numbers.add(step.id)
            if step.kind is Kind.COUNTRY:
                countries.add(step.id)
            steps.append(step)
        return steps

    def _step(
        self, raw: LineDict, earlier: set[str], numbers: set[str], countries: set[str], prefix: str
    ) -> Step | None:
        line = raw.line
        step_id = self._string(raw, "id", required=True)
        if step_id and not ID.match(step_id):
            self.fail(line, f"step id {step_id!r} must be lower_case letters, digits and _")
        where = f"step {step_id!r}"
        self._unknown_keys(raw, _STEP_KEYS, where)
        kind_name = raw.get("kind")
        try:
            kind = Kind(str(kind_name))
        except ValueError:
            choices = ", ".join(k.value for k in Kind)
            self.fail(
                raw.lines.get("kind", line), f"{where}: unknown kind {kind_name!r} ({choices})"
            )
            return None
        prompt = self._string(raw, "prompt", required=True)
        when = self._condition(raw["when"], earlier, raw.lines["when"]) if "when" in raw else None
        options, dimension, weight = self._scored(raw, kind, self._options(raw, kind, where), where)
        key = f"{prefix}{step_id}" if not prefix else f"{prefix}{_MAX_REPEAT}.{step_id}"
        for option in options:
            if len((key + option.value).encode()) + _CALLBACK_OVERHEAD > CALLBACK_LIMIT:
                self.fail(line, f"{where}: button data for {option.value!r} exceeds 64 bytes")
        low, high = self._int(raw, "min"), self._int(raw, "max")
        buttons = tuple(self._int_list(raw, "buttons"))
        for n in buttons:
            if (low is not None and n < low) or (high is not None and n > high):
                self.fail(raw.lines["buttons"], f"{where}: button {n} is outside min..max")
        suggest = tuple(raw.get("suggest") or ())
        for code in suggest:
            if not isinstance(code, str) or not _COUNTRY.match(code):
                self.fail(raw.lines["suggest"], f"{where}: {code!r} is not a two-letter code")
        default_from = raw.get("default_from")
        if default_from is not None and default_from not in countries:
            self.fail(
                raw.lines["default_from"],
                f"{where}: default_from {default_from!r} is not an earlier country step",
            )
        sub_steps: tuple[Step, ...] = ()
        count_from = raw.get("count_from")
        if kind is Kind.REPEAT:
            if count_from not in numbers:
                self.fail(
                    raw.lines.get("count_from", line),
                    f"{where}: count_from must name an earlier number step",
                )
            if high is None and count_from in numbers:
                high = _MAX_REPEAT
            raw_sub = raw.get("steps")
            if not isinstance(raw_sub, list) or not raw_sub:
                self.fail(line, f"{where}: a repeat step needs 'steps'")
                raw_sub = []
            sub_steps = tuple(self._steps(raw_sub, set(), set(), set(), prefix=f"{step_id}."))
            self.groups[step_id] = {s.id for s in sub_steps}
        elif "steps" in raw:
            self.fail(raw.lines["steps"], f"{where}: only a repeat step has 'steps'")
        if kind is Kind.CONSENT and not any(o.end is None for o in options):
            self.fail(line, f"{where}: a consent step needs an option that does not end the flow")
        if "notice" in raw and kind is not Kind.CONSENT:
            self.fail(raw.lines["notice"], f"{where}: only a consent step has a 'notice'")
        return Step(
            id=step_id,
            kind=kind,
            prompt=prompt,
            label=self._string(raw, "label"),
            options=options,
            when=when,
            min=low,
            max=high,
            not_future=bool(raw.get("not_future", False)),
            year_only=bool(raw.get("year_only", False)),
            default_region=raw.get("default_region"),
            suggest=suggest,
            default_from=default_from,
            steps=sub_steps,
            count_from=count_from,
            item_label=self._string(raw, "item_label"),
            buttons=buttons,
            version=str(raw.get("version", "")),
            sensitive=bool(raw.get("sensitive", False)),
            notice=self._string(raw, "notice"),
            dimension=dimension,
            weight=weight,
            line=line,
        )

    def _options(self, raw: LineDict, kind: Kind, where: str) -> tuple[Option, ...]:
        line = raw.lines.get("options", raw.line)
        has_options = kind in (Kind.CONSENT, Kind.CHOICE, Kind.MULTI)
        if kind is Kind.LANGUAGE:
            # Its buttons are the languages the settings offer, added when the flow is loaded.
            if "options" in raw:
                self.fail(
                    line,
                    f"{where}: a language step takes no options: it offers the "
                    "languages of INTAKE_LANGUAGES",
                )
            return ()
        if kind is Kind.YESNO:
            if "options" in raw:
                self.fail(line, f"{where}: a yesno step has fixed options")
            return (Option(YES, N_("Yes")), Option(NO, N_("No")))
        if not has_options:
            if "options" in raw:
                self.fail(line, f"{where}: a {kind.value} step takes no options")
            return ()
        items = raw.get("options")
        if not isinstance(items, list) or not items:
            self.fail(line, f"{where}: a {kind.value} step needs options")
            return ()
        options = []
        for item in items:
            if not isinstance(item, LineDict):
                self.fail(line, f"{where}: each option is a mapping with 'value' and 'label'")
                continue
            self._unknown_keys(item, _OPTION_KEYS, f"{where} option")
            value = item.get("value")
            if not isinstance(value, str) or not ID.match(value) or value in _RESERVED:
                self.fail(
                    item.line,
                    f"{where}: option value {value!r} must be a lower_case "
                    "string (quote yes/no) and not a reserved word",
                )
                continue
            label = self._string(item, "label", required=True)
            end = item.get("end")
            score = self._score(item, "score", f"{where}: the score of {value!r}")
            options.append(Option(value, label, end, item.get("outcome"), score))
        values = [o.value for o in options]
        for value in {v for v in values if values.count(v) > 1}:
            self.fail(line, f"{where}: duplicate option {value!r}")
        return tuple(options)

    def _condition(self, raw: Any, known: set[str], line: int) -> Condition | None:
        if not isinstance(raw, LineDict) or not raw:
            self.fail(line, "a condition is a mapping such as {family_count: {gt: 0}}")
            return None
        line = raw.line
        parts: list[Condition] = []
        for name, value in raw.items():
            if name in ("all", "any"):
                if not isinstance(value, list) or not value:
                    self.fail(line, f"'{name}' takes a list of conditions")
                    continue
                inner = [self._condition(v, known, line) for v in value]
                items = tuple(c for c in inner if c is not None)
                parts.append(All(items) if name == "all" else AnyOf(items))
                continue
            if name not in known:
                what = (
                    "a score not computed here"
                    if name.startswith(PREFIX)
                    else "not an earlier step"
                )
                self.fail(line, f"condition names {name!r}, which is {what}")
                continue
            parts.extend(self._tests(name, value, known, line))
        if not parts:
            return None
        condition = parts[0] if len(parts) == 1 else All(tuple(parts))
        return condition if referenced_steps(condition) else None

    def _tests(self, name: str, value: Any, known: set[str], line: int) -> list[Condition]:
        if not isinstance(value, dict):
            return [Test(name, "eq", value)]
        tests: list[Condition] = []
        for op, operand in value.items():
            if op == "any_item":
                if name not in self.groups:
                    self.fail(line, f"any_item needs a repeat step, and {name!r} is not one")
                elif (inner := self._condition(operand, self.groups[name], line)) is not None:
                    tests.append(AnyItem(name, inner))
            elif op not in OPERATORS:
                self.fail(line, f"unknown operator {op!r} ({', '.join(sorted(OPERATORS))})")
            else:
                tests.append(Test(name, op, operand))
        return tests

    def _flags(self, raw: Any, step_ids: set[str], line: int) -> list[FlagRule]:
        if not isinstance(raw, list):
            self.fail(line, "'flags' is a list of {flag, when}")
            return []
        rules = []
        for item in raw:
            if not isinstance(item, LineDict) or "flag" not in item or "when" not in item:
                self.fail(getattr(item, "line", line), "each flag rule has 'flag' and 'when'")
                continue
            condition = self._condition(item["when"], step_ids, item.lines["when"])
            if condition is not None:
                rules.append(FlagRule(str(item["flag"]), condition))
        return rules

    def _countries(self, raw: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        if not isinstance(raw, LineDict):
            self.fail(getattr(raw, "line", 1), "'countries' is a mapping")
            return {}, {}
        self._unknown_keys(raw, {"aliases", "ambiguous"}, "countries")
        result = []
        for key in ("aliases", "ambiguous"):
            table = raw.get(key) or LineDict()
            lines = getattr(table, "lines", {})
            clean: dict[str, tuple[str, ...]] = {}
            for name, values in table.items():
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    self.fail(lines.get(name, raw.line), f"countries.{key}.{name}: a list")
                    continue
                clean[str(name)] = tuple(values)
            result.append(clean)
        return result[0], result[1]

    def _unknown_keys(self, raw: LineDict, allowed: set[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.fail(raw.lines[key], f"{where}: unknown key {key!r}")

    def _string(self, raw: LineDict, key: str, required: bool = False) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(raw.line, f"missing {key!r}")
            return ""
        if not isinstance(value, str):
            self.fail(raw.lines.get(key, raw.line), f"{key!r} must be text, not {value!r}")
            return ""
        return value

    def _int(self, raw: LineDict, key: str) -> int | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, int):
            self.fail(raw.lines[key], f"{key!r} must be a whole number")
            return None
        return value

    def _int_list(self, raw: LineDict, key: str) -> list[int]:
        values = raw.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
            self.fail(raw.lines.get(key, raw.line), f"{key!r} must be a list of whole numbers")
            return []
        return values
