"""The export's columns in the caseworker's language: a header, and rows of cases or of
family members built from a batch of database rows.

Labels are looked up once per distinct value (a map per column), never per cell, and every
choice keeps its code in a column of its own for machines. A batch is built column by
column (a comprehension each), and each row is the tuple of its columns' parts: a part is
one cell, or a few neighbouring cells glued by `Form.glue` (joined with commas for CSV, a
tuple for XLSX). `Form.clean` makes a cell safe for its file; it runs when a value is
first seen, and on every free-text cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Any

from bot.answers import CHECKIN_STATUS_LABELS, flag_label, format_answer, status_label
from bot.counselling import FITNESS, VULNERABILITIES
from bot.engine import Flow, Kind, Option, Step
from bot.engine.checkins import Checkin
from bot.engine.conditions import age_on
from bot.engine.flow import N_
from bot.grant_terms import PLAN_KINDS
from bot.i18n import Translator
from bot.status import Status

_SKIPPED = (Kind.LANGUAGE, Kind.CONSENT, Kind.INFO, Kind.REVIEW, Kind.REPEAT)
_CODED = (Kind.CHOICE, Kind.MULTI, Kind.YESNO, Kind.COUNTRY)  # a label and a code
_FREE = (Kind.TEXT, Kind.PHONE)  # as typed: nothing to look up, nothing worth keeping
_SCORES = (
    ("score_economic", N_("economic score")),
    ("score_social", N_("social score")),
    ("score_psychosocial", N_("psychosocial score")),
    ("score_composite", N_("composite score")),
)
CHECKIN_STATUS = N_("Check-in status")
BIRTH = "date_of_birth"


@dataclass
class Batch:
    """One batch of cases and their related rows, as bot/store/exports.py reads them."""

    cases: Sequence[Any]
    flags: dict[int, tuple[str, ...]] = field(default_factory=dict)
    reached: dict[int, dict[str, str]] = field(default_factory=dict)  # status: day
    grants: dict[int, dict[str, int]] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    checkins: dict[int, dict[str, Any]] = field(default_factory=dict)


def code_header(name: str) -> str:
    """The header of a code column: the same in every language."""
    return f"{name} (code)"


def usd(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def age(value: object, today: date) -> str:
    """Whole years on `today`; from a year of birth alone, the age reached this year."""
    text = str(value or "")
    if len(text) == 4 and text.isdigit():
        return str(today.year - int(text))
    try:
        return str(age_on(date.fromisoformat(text), today))
    except ValueError:
        return ""


def _code(step: Step, value: Any) -> str:
    if value is None:
        return ""
    if step.kind is Kind.YESNO:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Form:
    """How cells become a file's: made safe (`clean`), and neighbours put together (`glue`)."""

    clean: Callable[[str], str]
    glue: Callable[[Iterable[Any]], Any]  # cells or parts into one part
    plain: Callable[[list[Any]], bool]  # are these values all text `clean` would not change?


class Column:
    """One question's part: its label, and its code if it is a choice (and the age after a
    date of birth), each distinct value converted once."""

    def __init__(self, step: Step, tr: Translator, form: Form, today: date | None) -> None:
        self.step = step
        self.coded = step.kind in _CODED
        self.aged = today is not None and step.id == BIRTH  # followed by the age
        self.width = 1 + self.coded + self.aged
        self.tr, self.form, self.today = tr, form, today
        # Free text is as typed and seldom repeated: only its blank is kept. A list (several
        # choices) fits no map.
        self.kept = step.kind not in _FREE
        self.seen: Any = {} if self.kept else {None: ""}
        if step.kind is Kind.MULTI:
            self.seen = _Never()

    def convert(self, value: Any) -> Any:
        clean = self.form.clean
        if self.step.kind in _FREE:
            return "" if value is None else clean(str(value))
        label = clean(format_answer(self.step, value, self.tr))
        if self.width == 1:
            found: Any = label
        else:
            cells = [label]
            if self.coded:
                cells.append(clean(_code(self.step, value)))
            if self.today is not None and self.aged:
                cells.append(age(value, self.today))
            found = self.form.glue(cells)
        if self.kept and isinstance(self.seen, dict):
            with suppress(TypeError):  # kept unless no map can hold it
                self.seen[value] = found
        return found


_MISSING = object()  # not yet in a column's map (an empty cell is a value in it)


def _looked_up(
    seen: dict[Any, Any], values: Sequence[Any], convert: Callable[[Any], Any]
) -> list[Any]:
    """Each value's part from the map, converting (and so keeping) only the unseen ones."""
    try:
        parts = list(map(seen.get, values, repeat(_MISSING)))
    except TypeError:  # a value no map can hold: an answer of an unexpected shape
        return [convert(v) for v in values]
    if _MISSING in parts:
        parts = [
            p if p is not _MISSING else seen[v] if v in seen else convert(v)
            for p, v in zip(parts, values, strict=True)
        ]
    return parts


class _Never:
    """A map that holds nothing: its values are converted every time."""

    def get(self, key: Any, default: Any) -> Any:
        return default


def _labels(options: Sequence[Option], tr: Translator) -> dict[str, str]:
    return {o.value: tr.gettext(o.label) for o in options}


class CaseSheet:
    """The cases' columns: the request, its people and dates, its grant, its check-ins."""

    def __init__(
        self,
        flow: Flow,
        checkins: Sequence[Checkin],
        tr: Translator,
        today: date,
        form: Form,
        source_names: dict[int, str],
        default_caps: tuple[int, int | None] = (60_000, None),
    ) -> None:
        self.tr, self.form = tr, form
        # A case in no project has the settings' caps: per person, and per family member.
        self.default_caps = default_caps
        clean, glue = form.clean, form.glue
        self.steps = [Column(s, tr, form, today) for s in flow.steps if s.kind not in _SKIPPED]
        self.checkins = [
            (c, [Column(s, tr, form, None) for s in c.flow.steps if s.kind not in _SKIPPED])
            for c in checkins
        ]
        self.checkin_width = {
            c.id: 1 + sum(col.width for col in cols) + len(_SCORES) for c, cols in self.checkins
        }
        self.no_checkins = glue([""] * sum(self.checkin_width.values()))
        self.labels = {s.value: clean(status_label(s, tr)) for s in Status}
        self.blank_days = dict.fromkeys(self.labels, "")
        self.checkin_statuses = {k: clean(tr.gettext(v)) for k, v in CHECKIN_STATUS_LABELS.items()}
        self.sources = {k: clean(v) for k, v in source_names.items()}
        kinds = {code: tr.gettext(label) for code, label in PLAN_KINDS.items()}
        self.plan_kinds: dict[str | None, Any] = {
            k: glue([clean(v), clean(k)]) for k, v in kinds.items()
        }
        self.plan_kinds[None] = glue(["", ""])
        self.flag_parts: dict[tuple[str, ...], Any] = {(): glue(["", ""])}
        self.texts: dict[Any, str] = {None: ""}
        self.grants: dict[tuple[Any, ...], Any] = {}

    def header(self) -> list[str]:
        tr = self.tr
        names = [tr.gettext("Reference"), tr.gettext("Status"), tr.gettext("Received")]
        names.append(code_header("status"))
        for col in self.steps:
            names.append(tr.gettext(col.step.review_label))
            if col.coded:
                names.append(code_header(col.step.id))
            if col.aged:
                names.append(tr.gettext("Age"))
        names += [
            tr.gettext("Flags"), tr.gettext("Flag codes"), tr.gettext("Outreach source"),
            tr.gettext("Caseworker"), tr.gettext("Project"), tr.gettext("Plan"),
            code_header("plan"), tr.gettext("Grant planned (USD)"),
            tr.gettext("Grant approved (USD)"), tr.gettext("Grant delivered (USD)"),
            tr.gettext("Grant cap (USD)"),
        ]  # fmt: skip
        names += [tr.gettext("Date: {status}", status=status_label(s, tr)) for s in Status]
        for checkin, cols in self.checkins:
            names.append(f"{checkin.id}: {tr.gettext(CHECKIN_STATUS)}")
            for col in cols:
                names.append(f"{checkin.id}: {tr.gettext(col.step.review_label)}")
                if col.coded:
                    names.append(f"{checkin.id}: {code_header(col.step.id)}")
            names += [f"{checkin.id}: {tr.gettext(label)}" for _, label in _SCORES]
        return [self.form.clean(name) for name in names]

    def rows(self, batch: Batch) -> list[tuple[Any, ...]]:
        """The batch's rows as tuples of parts. The hot loop of an export: each column is
        looked up value by value in its map by `map` (no Python per cell), and only what
        a map has not seen yet is converted."""
        if not batch.cases:
            return []
        (ids, references, statuses, received, sources, answers, assignees, projects,
         caps, member_caps, kinds) = zip(*batch.cases, strict=True)  # fmt: skip
        text = self._text
        columns: list[Any] = [
            list(map(self.form.clean, references)),
            _looked_up(self.labels, statuses, text),
            received,
            _looked_up(self.texts, statuses, text),
        ]
        for col in self.steps:
            values = list(map(dict.get, answers, repeat(col.step.id)))
            if not col.kept and self.form.plain(values):  # free text needing no change
                columns.append(values)
            elif isinstance(col.seen, dict):
                columns.append(_looked_up(col.seen, values, col.convert))
            else:
                columns.append(list(map(col.convert, values)))
        flags = list(map(batch.flags.get, ids, repeat(())))
        columns.append(_looked_up(self.flag_parts, flags, self._flags))
        columns.append(list(map(self.sources.get, sources, repeat(""))))
        columns.append(_looked_up(self.texts, assignees, text))
        columns.append(_looked_up(self.texts, projects, text))
        columns.append(_looked_up(self.plan_kinds, kinds, self._plan_kind))
        grants, members = batch.grants, batch.members
        columns.append([
            self._grant(project, cap, member_cap, kind, grants.get(i), members.get(i, 0))
            for i, project, cap, member_cap, kind
            in zip(ids, projects, caps, member_caps, kinds, strict=True)
        ])  # fmt: skip
        blank, reached, glue = self.blank_days, batch.reached, self.form.glue
        columns.append([
            glue(self._days(blank, day[:10], reached.get(i)))
            for i, day in zip(ids, received, strict=True)
        ])  # fmt: skip
        done = batch.checkins
        columns.append([self._checkins(done[i]) if i in done else self.no_checkins for i in ids])
        return list(zip(*columns, strict=True))

    def _plan_kind(self, kind: str) -> Any:
        return self.form.glue([self._text(kind)] * 2)

    def _text(self, value: Any) -> str:
        """A short text many cases share (a username, a project): cleaned once."""
        found = self.texts.get(value)
        if found is None:
            found = self.texts[value] = self.form.clean(str(value))
        return found

    def _flags(self, names: tuple[str, ...]) -> Any:
        labels = ", ".join(flag_label(n, self.tr) for n in names)
        clean = self.form.clean
        found = self.flag_parts[names] = self.form.glue([clean(labels), clean(", ".join(names))])
        return found

    def _grant(
        self,
        project: str | None,
        cap: int | None,
        member_cap: int | None,
        kind: str | None,
        totals: dict[str, int] | None,
        members: int,
    ) -> Any:
        """Planned, approved (or delivered), delivered, and the cap, in USD."""
        key = (project, cap, member_cap, kind is None, members)
        if not totals and key in self.grants:
            return self.grants[key]
        if project is None:
            cap, member_cap = self.default_caps
        limit = (cap or 0) + (member_cap or 0) * members
        if not totals:
            nothing = "" if kind is None else "0.00"
            found = self.grants[key] = self.form.glue([nothing, nothing, nothing, usd(limit)])
            return found
        delivered = totals.get("delivered", 0)
        approved = totals.get("approved", 0) + delivered
        planned = sum(totals.values())
        return self.form.glue([usd(planned), usd(approved), usd(delivered), usd(limit)])

    @staticmethod
    def _days(blank: dict[str, str], received: str, reached: dict[str, str] | None) -> Any:
        """The day each status was first reached: received, then each move."""
        days = blank.copy()
        days[Status.SUBMITTED.value] = received
        if reached:
            days.update((status, day) for status, day in reached.items() if status in blank)
        return days.values()

    def _checkins(self, done: dict[str, Any]) -> Any:
        cells: list[str] = []
        for checkin, cols in self.checkins:
            found = done.get(checkin.id)
            if found is None:
                cells += [""] * self.checkin_width[checkin.id]
                continue
            answers = found.answers or {}
            cells.append(self.checkin_statuses.get(found.status) or self._text(found.status))
            for col in cols:
                value = answers.get(col.step.id)
                cells += _looked_up(col.seen, [value], col.convert)  # a part, glued again
            for name, _ in _SCORES:
                score = getattr(found, name)
                cells.append("" if score is None else f"{score:.2f}")
        return self.form.glue(cells)


class MemberSheet:
    """The family members' columns: one row per person travelling with an applicant."""

    def __init__(self, flow: Flow, tr: Translator, today: date, form: Form) -> None:
        self.tr, self.today, self.clean = tr, today, form.clean
        inner = {s.id: s for step in flow.steps for s in step.steps}
        outer = {s.id: s for s in flow.steps}
        relationship, document = inner.get("relationship"), outer.get("travel_document")
        self.relationships = _labels(relationship.options if relationship else (), tr)
        self.documents = _labels(document.options if document else (), tr)
        self.fitness = _labels(FITNESS, tr)
        self.vulnerabilities = _labels(VULNERABILITIES, tr)
        self.birth = inner.get(BIRTH)

    def header(self) -> list[str]:
        tr = self.tr
        names = [
            tr.gettext("Reference"), tr.gettext("Member"), tr.gettext("Name"),
            tr.gettext("Relationship"), code_header("relationship"),
            tr.gettext("Date of birth"), tr.gettext("Age"),
            tr.gettext("Travel document"), code_header("travel_document"),
            tr.gettext("Fitness to travel"), code_header("fitness"),
            tr.gettext("Vulnerabilities"), code_header("vulnerabilities"),
        ]  # fmt: skip
        return [self.clean(name) for name in names]

    def rows(self, members: Sequence[Any]) -> Iterator[list[str]]:
        tr = self.tr
        for m in members:
            born = m.date_of_birth
            shown = format_answer(self.birth, born, tr) if self.birth and born else born or ""
            needs = list(m.vulnerabilities or [])
            cells = [
                m.reference,
                str(m.position + 1),
                m.name,
                _label(self.relationships, m.relationship),
                m.relationship or "",
                shown,
                age(born, self.today) if born else "",
                _label(self.documents, m.travel_document),
                m.travel_document or "",
                _label(self.fitness, m.fitness),
                m.fitness or "",
                ", ".join(_label(self.vulnerabilities, v) for v in needs),
                ",".join(needs),
            ]
            yield [self.clean(cell) for cell in cells]


def _label(labels: dict[str, str], value: str | None) -> str:
    return "" if value is None else labels.get(value, value)
