"""The office's figures outlive the people they count: reports drawn from live cases are
the same, cell for cell and in both downloads, after part of the cohort is erased by
/delete and by the retention purge."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import insert, select

from bot.app import Runtime
from bot.reports import Reports
from bot.store import cases, people
from bot.store.models import Base
from bot.store.reports import ReportFilter
from bot.store.tables import pre_registrations
from tests.helpers import Clock, add_account, add_case, browser, sign_in

# (telegram id, nationality, sex, born, family members, the statuses it goes through)
COHORT = [
    (9101, "SN", "female", "1990-01-01", 0, ("in_review", "rejected", "closed")),
    (9102, "SN", "male", "1985-05-05", 2, ("in_review", "rejected", "closed")),
    (9103, "SN", "female", "2001-02-03", 0, ("in_review", "rejected")),
    (9104, "CM", "male", "1970-07-07", 1, ("withdrawn", "closed")),
    (9105, "CM", "female", "1995-03-03", 0, ("withdrawn",)),
    (9106, "CM", "male", "1999-09-09", 0, ("in_review",)),
    (9107, "ML", "male", "1980-08-08", 3, ("in_review",)),
    (9108, "SN", "female", "1992-12-12", 0, ()),
    (9109, "SN", "male", "1960-06-06", 0, ()),
    (9110, "CM", "female", "2008-04-04", 0, ("in_review",)),  # a minor
    (9111, "SN", "male", "1988-01-01", 0, ("in_review", "rejected", "closed")),
    (9112, "SN", "female", "1991-11-11", 1, ("withdrawn", "closed")),
]
ERASED_BY_DELETE = (9103, 9105)  # closed to new work already: /delete changes no figure
PERIOD = "?since=2026-01&until=2026-12"  # the requests' months, whatever day it is now
CSV, XLSX = "/reports.csv" + PERIOD, "/reports.xlsx" + PERIOD
# The purge erases the cases closed, rejected or withdrawn longer than the retention days.


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        await add_account(bot, "chief", "supervisor")
        yield client


async def seed(bot: Runtime, clock: Clock) -> dict[int, int]:
    """The cohort as live cases; their people's ids by Telegram id."""
    persons: dict[int, int] = {}
    for telegram_id, nationality, sex, born, members, statuses in COHORT:
        reference = await add_case(
            bot, telegram_id, nationality=nationality, sex=sex, date_of_birth=born,
            flags=["minor"] if born.startswith("2008") else [],
        )  # fmt: skip
        async with bot.store.unit() as unit:
            case = await cases.by_reference(unit, reference)
            person = await people.find(unit, telegram_id)
            assert case is not None and person is not None
            persons[telegram_id] = person.id
            for position in range(members):
                await unit.connection.execute(
                    insert(Base.metadata.tables["case_members"]).values(
                        pre_registration_id=case.id, position=position, name=f"Member {position}",
                        date_of_birth="2015", vulnerabilities=[], updated_at=clock(),
                    )
                )  # fmt: skip
            unit.touch(case.id)
            for target in statuses:
                clock.advance(days=3)
                found = await cases.by_id(unit, case.id)
                assert found is not None
                await cases.change_status(unit, found, target, "chief", "", None, clock())
    return persons


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
