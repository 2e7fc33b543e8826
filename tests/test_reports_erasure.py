"""The office's figures outlive the people they count: reports drawn from live cases are
the same, cell for cell and in both downloads, after part of the cohort is erased by
/delete and by the retention purge."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.reports import Reports
from bot.store import people
from bot.store.reports import ReportFilter
from bot.store.tables import pre_registrations
from tests.helpers import Clock, add_account, browser, sign_in
from tests.live_cohort import COHORT, seed

ERASED_BY_DELETE = (9103, 9105)  # closed to new work already: /delete changes no figure
PERIOD = "?since=2026-01&until=2026-12"  # the requests' months, whatever day it is now
CSV, XLSX = "/reports.csv" + PERIOD, "/reports.xlsx" + PERIOD
# The purge erases the cases closed, rejected or withdrawn longer than the retention days.


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        await add_account(bot, "chief", "supervisor")
        yield client


async def fresh_report(bot: Runtime, language: str) -> object:
    """The whole report computed anew from the database (no figures kept from before)."""
    return await Reports(bot.store, bot.flow).report(
        ReportFilter(), bot.catalogs.translator(language)
    )


async def test_reports_are_the_same_after_erasing_part_of_the_cohort(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    persons = await seed(bot, clock)
    before = {language: await fresh_report(bot, language) for language in ("en", "fr")}
    await sign_in(client, "chief")  # now: the cohort took weeks, longer than a sign-in lasts
    response = await client.get(CSV)
    assert response.status_code == 200, response.headers
    csv_before = response.content
    xlsx_before = (await client.get(XLSX)).content
    assert b"<5" in csv_before  # the cohort is small: some cells are hidden
    assert b"12" in csv_before  # 12 requests in all

    async with bot.store.unit() as unit:
        for telegram_id in ERASED_BY_DELETE:
            await people.erase(unit, persons[telegram_id], clock())
    clock.advance(days=bot.settings.retention_days + 1)
    purged = await bot.retention.run(remind=False)
    assert purged.cases == 5  # every case closed since: the two erased above are gone
    async with bot.store.unit() as unit:
        left = (await unit.connection.execute(select(pre_registrations.c.id))).all()
    assert len(left) == len(COHORT) - 2 - 5

    await sign_in(client, "chief")
    for language, report in before.items():
        assert await fresh_report(bot, language) == report
    csv_after = (await client.get(CSV)).content
    assert csv_after == csv_before
    assert (await client.get(XLSX)).status_code == 200
    assert len((await client.get(XLSX)).content) > 0 and xlsx_before
