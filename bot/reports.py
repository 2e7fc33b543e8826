"""The reports for the office and its funders: anonymous figures, small cells suppressed.

Every figure a report shows, on the page, in a chart or in a download, is turned into a
displayable cell by `cell` (bot/report_cells.py), the one place small numbers are hidden.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.engine import Flow
from bot.flags import RED
from bot.i18n import Translator
from bot.report_cells import (
    Cell,
    Chart,
    Figure,
    Measure,
    Report,
    Section,
    Table,
    cell,
    median,
    percentile_90,
)
from bot.report_labels import Labels
from bot.store import Store, sources
from bot.store import reports as figures
from bot.store.reports import CHECKINS, DIMENSIONS, Count, ReportFilter

__all__ = [
    "Cell", "Chart", "Figure", "Measure", "Report", "ReportFilter", "Reports", "Section",
    "Table", "cell", "median", "percentile_90",
]  # fmt: skip

CACHED = 32  # filters whose figures are kept
_GROUPED = ("month", "nationality", "city", "status", "source_id")


@dataclass(frozen=True)
class _Figures:
    """Everything a report counts, before labels and suppression."""

    by: dict[str, list[Count]]
    by_sex: list[Count]
    by_age: list[Count]
    flagged: list[figures.FlagCount]
    funnel: list[Count]
    gaps: list[figures.Gaps]
    categories: list[figures.GrantSums]
    countries: list[figures.GrantSums]
    scores: list[figures.ScoreSums]
    responses: list[figures.Responses]
    sources: dict[int, str]


def _add_up(groups: list[figures.Group], name: str) -> list[Count]:
    """Cases and people by one of the groups' keys."""
    totals: dict[Any, list[int]] = {}
    for group in groups:
        total = totals.setdefault(getattr(group, name), [0, 0])
        total[0] += group.cases
        total[1] += group.people
    return [Count(key, cases, people) for key, (cases, people) in totals.items()]


def _add_up_people(found: list[figures.People], name: str) -> list[Count]:
    """People and applicants (one per case) by their sex or age band."""
    totals: dict[Any, list[int]] = {}
    for group in found:
        total = totals.setdefault(getattr(group, name), [0, 0])
        total[0] += group.applicants
        total[1] += group.people
    return [Count(key, cases, people) for key, (cases, people) in totals.items()]


class Reports:
    """The report's use-cases: its figures for a filter, and the filter's choices."""

    def __init__(self, store: Store, flow: Flow) -> None:
        self.store = store
        self.flow = flow
        # Figures by filter and statistics version: the page and its downloads, and readers
        # of the same filter, share them until a counted case changes.
        self._cache: OrderedDict[tuple[ReportFilter, Any], _Figures] = OrderedDict()
        self._nationalities: tuple[Any, list[str]] | None = None

    async def choices(self) -> tuple[list[tuple[int, str]], list[str], dict[int, str]]:
        """The projects (id, name), the funders, and the outreach sources to filter by."""
        async with self.store.unit() as unit:
            projects = await figures.projects(unit)
            names = await sources.names(unit)
        funders = sorted({funder for _id, _name, paid in projects for funder in paid})
        return [(pid, name) for pid, name, _paid in projects], funders, names

    async def _figures(self, f: ReportFilter) -> _Figures:
        """The filter's figures, computed again only when a counted case changed."""
        async with self.store.unit() as unit:
            version = await figures.version(unit)
            if self._nationalities is None or self._nationalities[0] != version:
                self._nationalities = (version, await figures.nationalities(unit))
            key = (f, version)
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            groups = await figures.requests(unit, f)
            people = await figures.people(unit, f)
            funnel, gaps = await figures.funnel(unit, f)
            found = _Figures(
                by={name: _add_up(groups, name) for name in _GROUPED},
                by_sex=_add_up_people(people, "sex"),
                by_age=_add_up_people(people, "age_band"),
                flagged=await figures.flags(unit, f),
                funnel=funnel,
                gaps=gaps,
                categories=await figures.grants_by_category(unit, f),
                countries=await figures.grants_by_country(unit, f),
                scores=await figures.scores(unit, f),
                responses=await figures.responses(unit, f),
                sources=await sources.names(unit),
            )
        self._cache[key] = found
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        return found

    def labels(self, tr: Translator) -> Labels:
        """The row labels in `tr`'s language (the filter's choices use them too)."""
        return Labels(tr, self.flow, {})

    async def report(self, f: ReportFilter, tr: Translator) -> Report:
        """Every section of the report for the cases `f` selects, in `tr`'s language."""
        found = await self._figures(f)
        by, by_sex, by_age = found.by, found.by_sex, found.by_age
        flagged, funnel, gaps = found.flagged, found.funnel, found.gaps
        categories, countries = found.categories, found.countries
        scores, responses, source_names = found.scores, found.responses, found.sources
        labels = Labels(tr, self.flow, source_names)
        show = _Shower(tr)
        months = list(figures.months(f.since, f.until)) if f.since and f.until else []
        requests = Section("requests", tr.gettext("Requests"), [
            show.counts("month", tr.gettext("Requests by month"), tr.gettext("Month"),
                        _in_order(by["month"], months), labels.month, chart="bar",
                        total=True),
            show.counts("nationality", tr.gettext("Requests by nationality"),
                        tr.gettext("Nationality"), _largest(by["nationality"]), labels.country,
                        chart="hbar"),
            show.counts("sex", tr.gettext("Requests by sex"), tr.gettext("Sex"),
                        _in_order(by_sex, labels.sexes()), labels.sex, chart="bar"),
            show.counts("age", tr.gettext("Requests by age band"), tr.gettext("Age band"),
                        sorted(by_age, key=_band_order), labels.band, chart="bar"),
            show.counts("city", tr.gettext("Requests by current city"),
                        tr.gettext("Current city"), _in_order(by["city"], labels.cities()),
                        labels.city),
            show.counts("flag", tr.gettext("Requests by flag"), tr.gettext("Flag"),
                        _largest([Count(x.flag, x.cases, x.people) for x in flagged]),
                        labels.flag),
            show.counts("status", tr.gettext("Requests by status"), tr.gettext("Status"),
                        _in_order(by["status"], labels.statuses()), labels.status),
            show.counts("source", tr.gettext("Requests by outreach source"),
                        tr.gettext("Outreach source"), _largest(by["source_id"]),
                        labels.source),
        ])  # fmt: skip
        order = [*figures.STEPS, *CHECKINS]
        steps = show.counts("funnel", tr.gettext("From request to reintegration"),
                            tr.gettext("Step"), _in_order(funnel, order, keep_zero=True),
                            labels.step, chart="hbar")  # fmt: skip
        times = [
            (labels.transition(g.source, g.target), [
                show(Figure(sum(g.histogram.values()))),
                show(Figure(median(g.histogram), Measure.DAYS, sum(g.histogram.values()))),
                show(Figure(percentile_90(g.histogram), Measure.DAYS,
                            sum(g.histogram.values()))),
            ])
            for g in gaps
        ]  # fmt: skip
        funnel_section = Section("funnel", tr.gettext("Funnel"), [steps, Table(
            "durations", tr.gettext("Days from each step to the next"), tr.gettext("Steps"),
            [tr.gettext("Cases"), tr.gettext("Median (days)"),
             tr.gettext("90th percentile (days)")], times, Chart("hbar", (1, 2)),
        )])  # fmt: skip
        grants = _grants(show, tr, labels, categories, countries)
        reintegration = _reintegration(show, tr, labels, scores, responses, flagged)
        assert self._nationalities is not None  # looked up with the figures
        return Report([requests, funnel_section, grants, reintegration], self._nationalities[1])


class _Shower:
    """Builds suppressed tables in one language."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr

    def __call__(self, figure: Figure) -> Cell:
        return cell(figure, self.tr.language)

    def counts(
        self, key: str, title: str, row_header: str, counts: list[Count],
        label: Callable[[object], str], chart: str | None = None, total: bool = False,
    ) -> Table:  # fmt: skip
        rows = [(label(c.key), [self(Figure(c.cases)), self(Figure(c.people))]) for c in counts]
        if total:
            all_cases, all_people = sum(c.cases for c in counts), sum(c.people for c in counts)
            rows.append((self.tr.gettext("Total"),
                         [self(Figure(all_cases)), self(Figure(all_people))]))  # fmt: skip
        columns = [self.tr.gettext("Cases"), self.tr.gettext("People")]
        drawn = Chart(chart, (0, 1)) if chart else None
        return Table(key, title, row_header, columns, rows, drawn, totalled=total)


def rate_base(part: int, whole: int) -> int:
    """What a rate rests on, for its suppression: the smaller of the part and the rest (a
    rate of 3 in 10 tells the hidden 3; 8 in 10 tells the 2 who did not answer)."""
    counts = [n for n in (part, whole - part) if n > 0]
    return min(counts) if counts else whole


def _in_order(counts: list[Count], order: Iterable[object], keep_zero: bool = True) -> list[Count]:
    """The counts in a known order, with a zero row for every known key, then any others."""
    found = {c.key: c for c in counts}
    known = list(order)
    listed = [found.get(key, Count(key, 0, 0)) for key in known] if keep_zero else []
    return listed + [c for c in counts if c.key not in known]


def _largest(counts: list[Count]) -> list[Count]:
    return sorted(counts, key=lambda c: (-c.cases, c.key is None, str(c.key)))


def _band_order(count: Count) -> tuple[int, str]:
    digits = "".join(ch for ch in str(count.key or "") if ch.isdigit() or ch == "-").split("-")
    first = digits[0] if digits and digits[0] else ""
    return (int(first) if first else 10**6, str(count.key))


def _grants(
    show: _Shower, tr: Translator, labels: Labels,
    categories: list[figures.GrantSums], countries: list[figures.GrantSums],
) -> Section:  # fmt: skip
    """Planned, approved and delivered against the caps: in all, by category, by country."""
    money = [tr.gettext("Planned (USD)"), tr.gettext("Approved (USD)"),
             tr.gettext("Delivered (USD)")]  # fmt: skip

    def sums(g: figures.GrantSums, cap: bool) -> list[Cell]:
        values = ([g.cap] if cap else []) + [g.planned, g.approved, g.delivered]
        return [show(Figure(g.cases)), show(Figure(g.people)),
                *(show(Figure(v, Measure.MONEY, g.cases)) for v in values)]  # fmt: skip

    whole = figures.GrantSums(None, *(sum(getattr(g, name) for g in countries) for name in
                              ("cases", "people", "cap", "planned", "approved", "delivered")))  # fmt: skip
    heads = [tr.gettext("Cases"), tr.gettext("People")]
    capped = [*heads, tr.gettext("Cap (USD)"), *money]
    return Section("grants", tr.gettext("Grants"), [
        Table("grant_total", tr.gettext("Grants against the cap"), tr.gettext("Grants"),
              capped, [(tr.gettext("Total"), sums(whole, True))], Chart("bar", (2, 3, 4, 5))),
        Table("grant_category", tr.gettext("Grants by category"), tr.gettext("Category"),
              [*heads, *money],
              [(labels.category(g.key), sums(g, False)) for g in _by_size(categories)],
              Chart("hbar", (2, 3, 4))),
        Table("grant_country", tr.gettext("Grants by country of return"),
              tr.gettext("Country of return"), capped,
              [(labels.country(g.key), sums(g, True)) for g in _by_size(countries)]),
    ])  # fmt: skip


def _by_size(found: list[figures.GrantSums]) -> list[figures.GrantSums]:
    return sorted(found, key=lambda g: (-g.planned, str(g.key)))


def _reintegration(
    show: _Shower, tr: Translator, labels: Labels, scores: list[figures.ScoreSums],
    responses: list[figures.Responses], flagged: list[figures.FlagCount],
) -> Section:  # fmt: skip
    """Average scores, check-in response rates, and the red flags raised and seen to."""
    heads = [tr.gettext("Answers"), *(labels.dimension(d) for d in DIMENSIONS)]

    def averaged(group: Callable[[figures.ScoreSums], object]) -> list[tuple[str, list[Cell]]]:
        totals: dict[object, tuple[int, dict[str, float], dict[str, int]]] = {}
        for s in scores:
            key = group(s)
            cases, sums, counts = totals.get(key, (0, dict.fromkeys(DIMENSIONS, 0.0),
                                                   dict.fromkeys(DIMENSIONS, 0)))  # fmt: skip
            totals[key] = (cases + s.cases, {d: sums[d] + s.sums[d] for d in DIMENSIONS},
                           {d: counts[d] + s.counts[d] for d in DIMENSIONS})  # fmt: skip
        rows = []
        for key in sorted(totals, key=_score_order):
            cases, sums, counts = totals[key]
            averages = [show(Figure(sums[d] / counts[d] if counts[d] else None, Measure.SCORE,
                                    counts[d])) for d in DIMENSIONS]  # fmt: skip
            rows.append((labels.scored(key), [show(Figure(cases)), *averages]))
        return rows

    rate_heads = [tr.gettext("Sent"), tr.gettext("Answered"), tr.gettext("Response rate")]
    rates = [
        (labels.checkin(r.checkin), [show(Figure(r.sent)), show(Figure(r.answered)),
         show(Figure(r.answered / r.sent if r.sent else None, Measure.RATE,
                     rate_base(r.answered, r.sent)))])
        for r in sorted(responses, key=lambda r: labels.checkin_order(r.checkin))
    ]  # fmt: skip
    red = {x.flag: x for x in flagged if x.flag in RED}
    raised = [
        (labels.flag(name), [show(Figure(red[name].cases if name in red else 0)),
         show(Figure(red[name].people if name in red else 0)),
         show(Figure(red[name].acknowledged if name in red else 0))])
        for name in sorted(RED, key=labels.flag)
    ]  # fmt: skip
    return Section("reintegration", tr.gettext("Reintegration"), [
        Table("scores", tr.gettext("Average scores by check-in (0 to 1)"),
              tr.gettext("Check-in"), heads, averaged(lambda s: s.checkin),
              Chart("line", (1, 2, 3, 4))),
        Table("scores_country", tr.gettext("Average scores by country of return"),
              tr.gettext("Country of return and check-in"), heads,
              averaged(lambda s: (labels.country(s.destination), s.checkin))),
        Table("scores_plan", tr.gettext("Average scores by plan type"),
              tr.gettext("Plan type and check-in"), heads,
              averaged(lambda s: (labels.plan(s.plan_kind), s.checkin))),
        Table("responses", tr.gettext("Check-in response rates"), tr.gettext("Check-in"),
              rate_heads, rates, Chart("bar", (2,))),
        Table("red_flags", tr.gettext("Red flags raised and acknowledged"),
              tr.gettext("Flag"), [tr.gettext("Cases"), tr.gettext("People"),
                                   tr.gettext("Acknowledged")], raised),
    ])  # fmt: skip


def _score_order(key: object) -> tuple[str, int]:
    if isinstance(key, tuple):
        return (str(key[0]), CHECKINS.index(key[1]) if key[1] in CHECKINS else 99)
    return ("", CHECKINS.index(str(key)) if key in CHECKINS else 99)
