"""The reports' figures on a known cohort (tests/report_cohort.py): exact counts, family
members as people, the funnel's medians and percentiles, grants, scores, suppression."""

from __future__ import annotations

import pytest

from bot.app import Runtime
from bot.reports import (
    Cell,
    Figure,
    Measure,
    Report,
    ReportFilter,
    Reports,
    Table,
    cell,
    median,
    percentile_90,
    rate_base,
)
from tests.report_cohort import seed_cohort

PERIOD = ReportFilter(since="2025-12", until="2026-11")


def table(report: Report, key: str) -> dict[str, list[str]]:
    """A table's rows as label -> the cells' texts."""
    found: list[Table] = [t for s in report.sections for t in s.tables if t.key == key]
    assert found, key
    return {label: [c.text for c in cells] for label, cells in found[0].rows}


async def report_of(bot: Runtime, f: ReportFilter = PERIOD, language: str = "en") -> Report:
    return await Reports(bot.store, bot.flow).report(f, bot.catalogs.translator(language))


@pytest.fixture
async def cohort(bot: Runtime) -> dict[str, int]:
    async with bot.store.unit() as unit:
        return await seed_cohort(unit)


def test_small_counts_and_figures_on_few_cases_are_hidden_zero_shown() -> None:
    assert cell(Figure(0), "en") == Cell("0", 0)
    assert [cell(Figure(n), "en").text for n in (1, 4)] == ["<5", "<5"]
    assert cell(Figure(4), "en").number is None  # nothing to draw or download
    assert cell(Figure(1234), "en") == Cell("1,234", 1234)
    assert cell(Figure(0.5, Measure.SCORE, 4), "en") == Cell("n<5", None)
    assert cell(Figure(0.5, Measure.SCORE, 5), "en") == Cell("0.5", 0.5)
    assert cell(Figure(123456, Measure.MONEY, 5), "fr").text == "1\u202f234,56"
    assert cell(Figure(5 / 6, Measure.RATE, 6), "en") == Cell("83.3\u00a0%", 83.3)


def test_median_and_90th_percentile_of_a_histogram() -> None:
    days = {2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 8: 1, 10: 1, 12: 1}
    assert median(days) == 5.5 and percentile_90(days) == 12
    assert median({10: 4, 20: 1, 40: 1}) == 10 and percentile_90({10: 4, 20: 1, 40: 1}) == 40
    assert median({}) is None and percentile_90({}) is None


async def test_requests_count_cases_and_people_with_family_members(
    bot: Runtime, cohort: dict[str, int]
) -> None:
    report = await report_of(bot)
    months = table(report, "month")
    assert months["Total"] == ["11", "14"]  # the duplicate and the older cohort left out
    assert months["Sep 2026"] == ["6", "9"]
    assert months["Oct 2026"] == ["<5", "<5"] and months["Nov 2026"] == ["<5", "<5"]
    assert months["Dec 2025"] == ["0", "0"] and len(months) == 13  # every month, and total
    assert table(report, "nationality") == {"Senegal": ["9", "12"], "Mali": ["<5", "<5"]}
    # People by their own sex; cases by their applicant's.
    assert table(report, "sex") == {
        "Female": ["9", "10"], "Male": ["<5", "<5"], "Other": ["0", "0"],
        "Prefer not to say": ["0", "0"], "Not known": ["0", "<5"],
    }  # fmt: skip
    assert table(report, "age") == {"0-17": ["0", "<5"], "25-34": ["11", "11"]}
    assert table(report, "city")["Rabat"] == ["9", "12"]
    assert table(report, "status")["Returned home"] == ["6", "9"]
    assert table(report, "status")["Received, waiting for review"] == ["<5", "<5"]
    assert "Closed as a duplicate" not in table(report, "status")
    sources = table(report, "source")
    assert sources["Caritas"] == ["<5", "<5"] and sources["No outreach source"] == ["8", "11"]
    assert table(report, "flag") == {
        "Urgent health problem": ["5", "8"], "Minor": ["<5", "<5"],
        "Does not feel safe": ["<5", "<5"],
    }  # fmt: skip


async def test_the_funnel_counts_steps_and_the_days_between_them(
    bot: Runtime, cohort: dict[str, int]
) -> None:
    report = await report_of(bot)
    assert table(report, "funnel") == {
        "Requested": ["11", "14"], "Accepted": ["8", "11"], "Departed": ["6", "9"],
        "Returned": ["6", "9"], "Reached at 3 months": ["5", "8"],
        "Reached at 6 months": ["<5", "<5"], "Reached at 12 months": ["0", "0"],
    }  # fmt: skip
    # Accepted after 2, 3, 4, 5, 6, 8, 10, 12 days: median (5 + 6) / 2, 90th: the 8th.
    assert table(report, "durations") == {
        "Requested \u2192 Accepted": ["8", "5.5", "12.0"],
        "Accepted \u2192 Departed": ["6", "10.0", "40.0"],  # 10, 10, 10, 10, 20, 40
        "Departed \u2192 Returned": ["6", "1.0", "1.0"],
        "Returned \u2192 Reached at 3 months": ["5", "91.0", "95.0"],  # 90 90 91 92 95
        "Reached at 3 months \u2192 Reached at 6 months": ["<5", "n<5", "n<5"],
        "Reached at 6 months \u2192 Reached at 12 months": ["0", "", ""],
    }


async def test_grants_against_the_cap_by_category_and_country(
    bot: Runtime, cohort: dict[str, int]
) -> None:
    report = await report_of(bot)
    # Cases, people, cap, planned, approved, delivered (USD).
    assert table(report, "grant_total") == {
        "Total": ["8", "11", "11,000.00", "6,400.00", "4,800.00", "3,000.00"]
    }
    assert table(report, "grant_category") == {
        "Equipment": ["6", "9", "6,000.00", "4,800.00", "3,000.00"],
        "Training": ["<5", "<5", "n<5", "n<5", "n<5"],
    }
    assert table(report, "grant_country") == {
        "Senegal": ["6", "9", "9,000.00", "6,400.00", "4,800.00", "3,000.00"],
        "Mali": ["<5", "<5", "n<5", "n<5", "n<5", "n<5"],
    }


async def test_reintegration_scores_response_rates_and_red_flags(
    bot: Runtime, cohort: dict[str, int]
) -> None:
    report = await report_of(bot)
    # Economic 0.2 to 1.0: 0.6; social 0.5 each; psychosocial never scored.
    assert table(report, "scores") == {
        "Check-in at month 3": ["5", "0.6", "0.5", "", "0.6"],
        "Check-in at month 6": ["<5", "n<5", "n<5", "", "n<5"],
    }
    assert table(report, "scores_country")["Senegal \u00b7 Check-in at month 3"][1] == "0.6"
    assert table(report, "scores_plan")["Start a business \u00b7 Check-in at month 3"][1] == "0.6"
    assert table(report, "responses") == {
        # 5 of 6: the rate would tell the one who did not answer, a count under 5.
        "Check-in at month 3": ["6", "5", "n<5"],
        "Check-in at month 6": ["<5", "<5", "n<5"],
    }
    red = table(report, "red_flags")
    assert red["Urgent health problem"] == ["5", "8", "<5"]  # 3 acknowledged
    assert red["Does not feel safe"] == ["<5", "<5", "0"]
    assert red["Wants to talk to a person"] == ["0", "0", "0"]
    assert "Minor" not in red  # not urgent


async def test_filters_by_project_funder_period_and_nationality(
    bot: Runtime, cohort: dict[str, int]
) -> None:
    def total(report: Report) -> list[str]:
        return table(report, "month")["Total"]

    assert total(await report_of(bot, ReportFilter(since="2025-01", until="2026-11"))) == [
        "16", "19"
    ]  # fmt: skip
    assert total(await report_of(bot, ReportFilter(since="2026-10", until="2026-10"))) == [
        "<5", "<5"
    ]  # fmt: skip
    sahel = ReportFilter(since="2025-12", until="2026-11", project=cohort["sahel"])
    assert total(await report_of(bot, sahel)) == ["6", "9"]
    eu = ReportFilter(since="2025-12", until="2026-11", funder="EU")  # Sahel and Niger
    assert total(await report_of(bot, eu)) == ["8", "11"]
    norway = ReportFilter(since="2025-12", until="2026-11", funder="Norway")
    assert total(await report_of(bot, norway)) == ["<5", "<5"]
    nobody = ReportFilter(since="2025-12", until="2026-11", funder="Nobody")
    assert total(await report_of(bot, nobody)) == ["0", "0"]
    mali = ReportFilter(since="2025-12", until="2026-11", nationality="ML")
    assert table(await report_of(bot, mali), "nationality") == {"Mali": ["<5", "<5"]}
    flagged = ReportFilter(since="2025-12", until="2026-11", flag="urgent_health")
    assert total(await report_of(bot, flagged)) == ["5", "8"]
    returned = ReportFilter(since="2025-12", until="2026-11", status="returned", city="rabat")
    assert total(await report_of(bot, returned)) == ["6", "9"]
    came = ReportFilter(since="2025-12", until="2026-11", source=cohort["caritas"])
    assert total(await report_of(bot, came)) == ["<5", "<5"]


async def test_labels_are_in_the_readers_language(bot: Runtime, cohort: dict[str, int]) -> None:
    report = await report_of(bot, language="fr")
    assert table(report, "nationality")["Sénégal"] == ["9", "12"]
    assert table(report, "sex")["Femme"] == ["9", "10"]
    assert "sept. 2026" in table(report, "month")
    assert [s.title for s in report.sections] == [
        "Demandes", "Parcours", "Aides", "Réintégration"
    ]  # fmt: skip
    assert table(report, "red_flags")["Problème de santé urgent"] == ["5", "8", "<5"]


@pytest.mark.parametrize(
    ("answered", "sent", "shown"),
    [
        (3, 10, "n<5"),
        (8, 10, "n<5"),
        (5, 10, "50\u00a0%"),
        (12, 12, "100\u00a0%"),
        (0, 7, "0\u00a0%"),
    ],
)
def test_a_rate_is_hidden_when_its_part_or_its_rest_is_under_five(
    answered: int, sent: int, shown: str
) -> None:
    rate = Figure(answered / sent, Measure.RATE, rate_base(answered, sent))
    assert cell(rate, "en").text == shown
