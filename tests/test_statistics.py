"""The anonymous statistics: exact facts of a case, refreshed at every change, kept after
erasure, and nothing in them that names anyone."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update

from bot.app import Runtime
from bot.casework import Casework, StatusChange
from bot.cli_db import _statistics_rebuild
from bot.engine.scoring import Scores
from bot.store import (
    Store,
    Submission,
    acknowledgements,
    appointments,
    caseload,
    cases,
    checkins,
    claims,
    members,
    messages,
    notes,
    statistics,
)
from bot.store.models import Account, Base
from bot.store.statistics_models import CaseStatistic
from bot.store.tables import followups, pre_registrations
from tests.helpers import Clock, Phone, Reach, add_account, add_case, table_rows
from tests.walker import complete_intake

# Someone nobody else is: none of this may reach the statistics.
NAME, MEMBER_NAME = "Zéphyrine Quattlebaum", "Théodorine Quattlebaum"
PHONE, BORN, MEMBER_BORN = "+237699887766", "14/03/1987", "05/06/2012"
PLAN_IDEA, CITY_OF_RETURN = "Quincaillerie ambulante Zorglub", "Yokadouma"
NOTE, MESSAGE = "Rappeler Xanthippe au guichet", "Votre vol Wakatipu est confirmé"
VENDOR, ITEM = "Établissements Brouzoufle", "Machine à coudre Vexillum"
PARTNER, PROJECT = "Partenaire Ouagadoudou", "Projet Kwijibo"
TELEGRAM_ID = 987654321
PERSONAL = (NAME, MEMBER_NAME, PHONE, PHONE.lstrip("+"), "699887766", BORN, "1987-03-14",
            MEMBER_BORN, "2012-06-05", PLAN_IDEA, CITY_OF_RETURN, NOTE, MESSAGE, VENDOR, ITEM,
            PARTNER, PROJECT, str(TELEGRAM_ID), "AVR-2026")  # fmt: skip
# Words a column of these tables must never be named by.
PERSONAL_COLUMNS = ("name", "phone", "birth", "dob", "telegram", "reference", "note", "text",
                    "body", "description", "answers", "vendor", "chat", "address", "person_id")  # fmt: skip


@pytest.fixture
def work(bot: Runtime, clock: Clock) -> Casework:
    reach = Reach()
    return Casework(bot.store, bot.flow, bot.catalogs, clock, reach.notify, reach.ask_again,
                    office="OIM Rabat", notified=frozenset(), followups=bot.followups)  # fmt: skip


async def dump(store: Store) -> dict[int, dict[str, Any]]:
    """Every statistics row, by case_statistics id: its facts and its children's, sorted."""
    found: dict[int, dict[str, Any]] = {}
    async with store.unit() as unit:
        for row in (await unit.connection.execute(select(statistics.case_statistics))).mappings():
            facts = {k: v for k, v in row.items() if k not in ("id", "refreshed_at")}
            found[row["id"]] = {"case": facts}
        for table in statistics.CHILDREN:
            for row in (await unit.connection.execute(select(table))).mappings():
                values = {k: v for k, v in row.items() if k not in ("id", "statistic_id")}
                found[row["statistic_id"]].setdefault(table.name, []).append(values)
    for one in found.values():
        for rows in one.values():
            if isinstance(rows, list):
                rows.sort(key=_identity)
        one["case"].pop("pre_registration_id")
    return found


async def facts(store: Store) -> list[dict[str, Any]]:
    """Every case's statistics, whatever their rows' ids (a rebuild makes new ones)."""
    return sorted((await dump(store)).values(), key=str)


def _identity(row: dict[str, Any]) -> tuple[str, str]:
    """A child row's sort key: what it is about first (a step, a flag, a role...)."""
    about = next(str(row[k]) for k in ("step", "flag", "checkin", "category", "role") if k in row)
    return about, str(sorted((k, str(v)) for k, v in row.items()))


async def of_case(store: Store, case_id: int) -> dict[str, Any]:
    """One live case's statistics, as `dump` gives them."""
    async with store.unit() as unit:
        sid = (
            await unit.connection.execute(
                select(statistics.case_statistics.c.id).where(
                    statistics.case_statistics.c.pre_registration_id == case_id
                )
            )
        ).scalar_one()
    return (await dump(store))[sid]


async def case_id(bot: Runtime, reference: str) -> int:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found.id


async def seeded(bot: Runtime, phone: Phone, clock: Clock, work: Casework) -> int:
    """A family's request through the chat, then what the office does with it over weeks."""
    reference = await complete_intake(
        phone, language="en", full_name=NAME, date_of_birth=BORN, sex="female",
        nationality="CM", phone=PHONE, current_city="casablanca", destination_country="SN",
        destination_city=CITY_OF_RETURN, reintegration_plan="business", plan_details=PLAN_IDEA,
        family=[{"name": MEMBER_NAME, "relationship": "child", "date_of_birth": MEMBER_BORN}],
    )  # fmt: skip
    case = await case_id(bot, reference)
    clock.advance(days=3)
    await work.change_status(reference, StatusChange("in_review"), "amina")
    clock.advance(days=7)
    await work.change_status(reference, StatusChange("accepted", note=NOTE), "amina")
    now = clock()
    async with bot.store.unit() as unit:
        await notes.add(unit, case, "amina", NOTE, now)
        await messages.add(unit, case, "out", "amina", MESSAGE, True, now)
        [member] = await members.of_case(unit, case)
        changes = members.Changes(MEMBER_NAME, "child", "2000", None, None, ())
        assert await members.change(unit, case, member.id, changes, "amina", now)
        await cases.add_flag(unit, case, "urgent_health")
        assert await acknowledgements.acknowledge(unit, case, "urgent_health", "amina", NOTE, now)
        project = (
            await unit.connection.execute(
                insert(Base.metadata.tables["projects"])
                .values(
                    name=PROJECT,
                    funders=["Fonds Zorglub"],
                    countries=["SN"],
                    starts_on=date(2026, 1, 1),
                    capacity=150,
                    grant_cap_cents=60000,
                    member_cap_cents=30000,
                    created_by="amina",
                    created_at=now,
                    updated_at=now,
                )
                .returning(Base.metadata.tables["projects"].c.id)
            )
        ).scalar_one()
        await unit.connection.execute(
            update(pre_registrations)
            .where(pre_registrations.c.id == case)
            .values(project_id=project)
        )
        await unit.connection.execute(
            insert(Base.metadata.tables["reintegration_plans"]).values(
                pre_registration_id=case, kind="business", description=PLAN_IDEA,
                partner=PARTNER, updated_by="amina", updated_at=now,
            )
        )  # fmt: skip
        items = [("equipment", 10000, "planned"), ("equipment", 20000, "approved"),
                 ("equipment", 5000, "delivered"), ("training", 7000, "delivered")]  # fmt: skip
        await unit.connection.execute(
            insert(Base.metadata.tables["grant_items"]),
            [
                {"pre_registration_id": case, "description": ITEM, "category": category,
                 "vendor": VENDOR, "quantity": 1, "unit_cost_cents": cents, "currency": "USD",
                 "usd_rate": "1", "amount_usd_cents": cents, "status": status,
                 "created_by": "amina", "created_at": now, "updated_at": now}
                for category, cents, status in items
            ],
        )  # fmt: skip
        unit.touch(case)  # as the projects' and the grants' own store functions do
    clock.advance(days=30)
    async with bot.store.unit() as unit:
        await checkins.plan(unit, case, [("month_1", clock()), ("month_3", clock())], clock())
        row = (
            await unit.connection.execute(
                select(followups.c.id).where(
                    followups.c.pre_registration_id == case, followups.c.checkin == "month_1"
                )
            )
        ).scalar_one()
        scores = Scores(economic=0.5, social=0.25, psychosocial=0.75, composite=0.5)
        assert await checkins.answered(unit, row, {"q": "oui"}, (), clock(), scores) == case
    return case


async def test_the_facts_of_a_case_are_exactly_what_happened(
    bot: Runtime, phone_factory: Any, clock: Clock, work: Casework
) -> None:
    case = await seeded(bot, phone_factory(user_id=TELEGRAM_ID, language="en"), clock, work)
    facts = await of_case(bot.store, case)
    async with bot.store.unit() as unit:
        project = (
            await unit.connection.execute(select(pre_registrations.c.project_id))
        ).scalar_one()
    assert facts["case"] == {
        "requested_month": "2026-11", "nationality": "CM", "destination": "SN", "sex": "female",
        "age_band": "35-49", "city": "casablanca", "source_id": None, "project_id": project,
        "status": "accepted", "people": 2, "plan_kind": "business",
        "grant_cap_cents": 60000 + 30000,
    }  # fmt: skip
    assert facts["statistic_people"] == [
        {"role": "applicant", "sex": "female", "age_band": "35-49"},
        {"role": "member", "sex": None, "age_band": "25-34"},  # born "2000", as corrected
    ]
    assert facts["statistic_steps"] == [
        {"step": "accepted", "month": "2026-12", "day": 10},
        {"step": "in_review", "month": "2026-11", "day": 3},
        {"step": "requested", "month": "2026-11", "day": 0},
    ]
    flags = {row["flag"]: row["acknowledged"] for row in facts["statistic_flags"]}
    assert flags["urgent_health"] is True
    assert flags["family_case"] is False
    assert facts["statistic_checkins"] == [
        {"checkin": "month_1", "status": "answered", "day": 40, "economic": 0.5,
         "social": 0.25, "psychosocial": 0.75, "composite": 0.5},
        {"checkin": "month_3", "status": "planned", "day": None, "economic": None,
         "social": None, "psychosocial": None, "composite": None},
    ]  # fmt: skip
    assert facts["statistic_grants"] == [
        {"category": "equipment", "planned_cents": 35000, "approved_cents": 25000,
         "delivered_cents": 5000},
        {"category": "training", "planned_cents": 7000, "approved_cents": 7000,
         "delivered_cents": 7000},
    ]  # fmt: skip


async def test_nothing_personal_is_kept_in_the_statistics(
    bot: Runtime, phone_factory: Any, clock: Clock, work: Casework
) -> None:
    await seeded(bot, phone_factory(user_id=TELEGRAM_ID, language="en"), clock, work)
    for table in statistics.TABLES:
        for column in table.c:
            assert not any(word in column.name for word in PERSONAL_COLUMNS), column
    ours, others = [], []
    async with bot.store.unit() as unit:
        for table in Base.metadata.sorted_tables:
            rows = (await unit.connection.execute(select(table))).all()
            (ours if table in statistics.TABLES else others).extend(map(str, map(tuple, rows)))
    everything, live = "\n".join(ours), "\n".join(others)
    assert "casablanca" in everything and "business" in everything  # the check means something
    for value in PERSONAL:
        assert value.casefold() not in everything.casefold(), value
    for value in (NAME, PHONE, PLAN_IDEA, NOTE, MESSAGE, VENDOR, PARTNER, str(TELEGRAM_ID)):
        assert value in live, value  # it was there to leak


async def test_every_change_of_a_reportable_fact_refreshes_the_statistics(
    bot: Runtime, clock: Clock
) -> None:
    reference = await add_case(bot, 7101, flags=("vulnerable",))
    case = await case_id(bot, reference)
    facts = await of_case(bot.store, case)
    assert facts["case"]["status"] == "submitted"
    assert facts["statistic_flags"] == [{"flag": "vulnerable", "acknowledged": False}]

    async def after(change: Any) -> dict[str, Any]:
        async with bot.store.unit() as unit:
            await change(unit)
        return await of_case(bot.store, case)

    async def status(unit: Any) -> None:
        found = await cases.by_id(unit, case)
        assert found is not None
        await cases.change_status(unit, found, "in_review", "amina", "", None, clock())

    assert (await after(status))["case"]["status"] == "in_review"

    async def correct(unit: Any) -> None:
        answers = {"full_name": "Awa Diallo", "nationality": "ML", "date_of_birth": "2010",
                   "sex": "male", "current_city": "fes", "family_members": [{"name": "Ali"}]}  # fmt: skip
        submission = Submission(answers, {}, (), "1", "awa diallo")
        await cases.correct(unit, case, submission, {"vulnerable"}, clock())

    corrected = (await after(correct))["case"]
    assert (corrected["nationality"], corrected["age_band"], corrected["sex"]) == (
        "ML",
        "0-17",
        "male",
    )
    assert (corrected["city"], corrected["people"]) == ("fes", 2)
    corrected = await of_case(bot.store, case)
    assert "statistic_flags" not in corrected  # the flow no longer raises it

    async def flag(unit: Any) -> None:
        await cases.add_flag(unit, case, "unsafe")

    assert (await after(flag))["statistic_flags"] == [{"flag": "unsafe", "acknowledged": False}]

    async def seen(unit: Any) -> None:
        await acknowledgements.acknowledge(unit, case, "unsafe", "amina", "ok", clock())

    assert (await after(seen))["statistic_flags"] == [{"flag": "unsafe", "acknowledged": True}]

    async def raised_again(unit: Any) -> None:
        await cases.add_flag(unit, case, "unsafe")

    assert (await after(raised_again))["statistic_flags"][0]["acknowledged"] is False

    async def removed(unit: Any) -> None:
        await appointments.remove_flag(unit, case, "unsafe")

    assert "statistic_flags" not in await after(removed)

    async def member(unit: Any) -> None:
        [one] = await members.of_case(unit, case)
        changes = members.Changes("Ali", "child", "1950-05-05", None, None, ())
        await members.change(unit, case, one.id, changes, "amina", clock())

    people_of = (await after(member))["statistic_people"]
    assert {"role": "member", "sex": None, "age_band": "65+"} in people_of

    async def planned(unit: Any) -> None:
        await checkins.plan(unit, case, [("day_7", clock()), ("month_1", clock())], clock())

    assert [c["status"] for c in (await after(planned))["statistic_checkins"]] == [
        "planned",
        "planned",
    ]

    went: list[int] = []

    async def sent(unit: Any) -> None:
        [claimed, _other] = await claims.claim(unit, clock(), clock() + timedelta(minutes=5), 10)
        assert await claims.start_sending(unit, claimed, clock(), 1, 0)
        await claims.mark_sent(unit, [claimed.followup.id], clock(), clock())
        went.append(claimed.followup.id)

    statuses = sorted(c["status"] for c in (await after(sent))["statistic_checkins"])
    assert statuses == ["planned", "sent"]

    async def no_reply(unit: Any) -> None:
        await checkins.update_row(unit, went[0], clock(), status=checkins.NO_REPLY)

    assert "no_reply" in {c["status"] for c in (await after(no_reply))["statistic_checkins"]}

    async def cancelled(unit: Any) -> None:
        await checkins.cancel(unit, clock(), "withdrawn", case_id=case)

    last = {c["status"] for c in (await after(cancelled))["statistic_checkins"]}
    assert last == {"no_reply", "cancelled"}

    await add_account(bot)
    async with bot.store.unit() as unit:  # not a reportable fact: nothing to refresh
        account = (await unit.connection.execute(select(Account.id))).scalar_one()
        assert await caseload.take(unit, case, account, "amina", clock())
        assert not unit.touched


async def test_a_case_in_no_project_counts_the_settings_cap_once_it_has_a_grant(
    bot: Runtime, clock: Clock
) -> None:
    assert bot.store.grant_caps == (60_000, None)  # the settings' default: USD 600
    bot.store.grant_caps = (50_000, 10_000)  # as INTAKE_GRANT_CAP_USD=500, member 100 give
    case = await case_id(bot, await add_case(bot, 7103))
    assert (await of_case(bot.store, case))["case"]["grant_cap_cents"] is None  # no grant
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            insert(Base.metadata.tables["case_members"]).values(
                pre_registration_id=case, position=0, name="Ali", vulnerabilities=[],
                updated_at=clock(),
            )
        )  # fmt: skip
        await unit.connection.execute(
            insert(Base.metadata.tables["reintegration_plans"]).values(
                pre_registration_id=case, kind="job", description="", partner="",
                updated_by="amina", updated_at=clock(),
            )
        )  # fmt: skip
        unit.touch(case)
    assert (await of_case(bot.store, case))["case"]["grant_cap_cents"] == 50_000 + 10_000


async def test_a_failed_transaction_leaves_the_statistics_as_they_were(bot: Runtime) -> None:
    case = await case_id(bot, await add_case(bot, 7102))
    before = await dump(bot.store)
    with pytest.raises(RuntimeError):
        async with bot.store.unit() as unit:
            await cases.add_flag(unit, case, "unsafe")
            raise RuntimeError("rolled back")
    assert await dump(bot.store) == before


async def test_erasure_keeps_the_statistics_unlinked_and_unchanged(
    bot: Runtime, phone_factory: Any, clock: Clock, work: Casework
) -> None:
    phone = phone_factory(user_id=TELEGRAM_ID, language="en")
    deleted = await seeded(bot, phone, clock, work)
    kept, expired, duplicate = [
        await case_id(bot, await add_case(bot, n, full_name=f"Person {n}")) for n in (1, 2, 3)
    ]
    async with bot.store.unit() as unit:
        for one, targets in ((expired, ("rejected", "closed")), (duplicate, ("duplicate",))):
            for target in targets:
                found = await cases.by_id(unit, one)
                assert found is not None
                await cases.change_status(unit, found, target, "amina", "", None, clock())
        # A change made behind the store's back: the erasure refreshes the case before it goes.
        await unit.connection.execute(
            update(pre_registrations)
            .where(pre_registrations.c.id == expired)
            .values(current_city="oujda")
        )
    before = await dump(bot.store)
    assert len(before) == 4
    sid = {facts["case"]["status"]: key for key, facts in before.items()}

    await phone.say("/delete")
    assert (await phone.tap("Yes, erase everything")).text.startswith("All your data")
    clock.advance(days=400)
    report = await bot.retention.run(remind=False)
    assert report.cases == 2  # the closed case and the duplicate
    assert report.refreshed == 1  # the one still alive

    expected = before
    withdrawn = {"step": "withdrawn", "month": "2027-01", "day": 40}  # /delete withdraws
    expected[sid["accepted"]]["case"]["status"] = "withdrawn"
    expected[sid["accepted"]]["statistic_steps"].append(withdrawn)
    expected[sid["accepted"]]["statistic_steps"].sort(key=_identity)
    expected[sid["closed"]]["case"]["city"] = "oujda"
    assert await dump(bot.store) == expected  # the same rows, the same facts otherwise
    async with bot.store.unit() as unit:
        c = statistics.case_statistics.c
        links = dict(
            map(tuple, (await unit.connection.execute(select(c.id, c.pre_registration_id))).all())
        )
        live = set((await unit.connection.execute(select(pre_registrations.c.id))).scalars())
    assert live == {kept}
    assert links == {sid["accepted"]: None, sid["submitted"]: kept, sid["closed"]: None,
                     sid["duplicate"]: None}  # fmt: skip
    assert deleted not in live and expired not in live and duplicate not in live


async def test_the_erasure_link_is_cut_by_the_database(bot: Runtime) -> None:
    case = await case_id(bot, await add_case(bot, 7301))
    async with bot.store.unit() as unit:
        if unit.dialect == "sqlite":
            assert (await unit.connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        await unit.connection.execute(delete(pre_registrations))
    [row] = await table_rows(bot, CaseStatistic)
    assert row["pre_registration_id"] is None and row["status"] == "submitted"
    assert row["id"] and case


async def test_statistics_are_rebuilt_at_start_up_by_command_and_every_day(
    bot: Runtime, clock: Clock
) -> None:
    cases_ = [await case_id(bot, await add_case(bot, n, full_name=f"P {n}")) for n in range(3)]
    before = await facts(bot.store)
    async with bot.store.unit() as unit:  # a database from before the statistics
        await unit.connection.execute(delete(statistics.case_statistics))
    await bot.store.upgrade()
    assert await facts(bot.store) == before

    async with bot.store.unit() as unit:  # a change that missed its refresh
        await unit.connection.execute(
            update(statistics.case_statistics).values(status="in_review", people=9)
        )
    assert (await bot.retention.run(remind=False)).refreshed == 3
    assert await facts(bot.store) == before

    async with bot.store.unit() as unit:
        await unit.connection.execute(delete(statistics.case_statistics))
    assert await statistics.rebuild(bot.store, batch=2) == 3
    assert await facts(bot.store) == before

    async with bot.store.unit() as unit:
        await unit.connection.execute(delete(statistics.case_statistics))
    assert await _statistics_rebuild(argparse.Namespace(), bot.settings) == 0
    assert await facts(bot.store) == before
    assert len(cases_) == 3


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2008-11-28", date(2026, 11, 27), "0-17"),
        ("2008-11-27", date(2026, 11, 27), "18-24"),
        ("2002", date(2026, 1, 1), "18-24"),
        ("1992-01-01", date(2026, 11, 27), "25-34"),
        ("1977-06-30", date(2026, 11, 27), "35-49"),
        ("1962", date(2026, 11, 27), "50-64"),
        ("1961-11-27", date(2026, 11, 27), "65+"),
        (None, date(2026, 11, 27), None),
        ("not a date", date(2026, 11, 27), None),
        ("2030", date(2026, 11, 27), None),
    ],
)
def test_age_bands(born: str | None, on: date, band: str | None) -> None:
    assert statistics.age_band(born, on) == band


def test_months_are_utc() -> None:
    from zoneinfo import ZoneInfo

    late = datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Africa/Casablanca"))
    assert statistics.month(late) == "2026-11"
    assert statistics.month(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == "2026-11"
