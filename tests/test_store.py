"""The store on a real database: migrations, references, duplicates, concurrent writers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from bot.app import Bot
from bot.engine import ChoiceInput, Outdated, Recorded
from bot.intake import User
from bot.store import IntakeSession, Store, Submission, create_engine, upgrade

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


def submission(phone: str | None, name: str, born: str) -> Submission:
    answers = {"full_name": name, "date_of_birth": born, "phone": phone}
    return Submission(answers, {}, ("family_case",), "1", name.lower())


@pytest.fixture
async def store(database_url: str) -> Any:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield Store(engine)
    await engine.dispose()


async def test_migrations_create_every_table(store: Store) -> None:
    async with store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"people", "sessions", "pre_registrations", "pre_registration_flags",
            "audit_events", "reference_counters", "alembic_version"} <= tables  # fmt: skip


async def test_migrations_are_idempotent(store: Store) -> None:
    await upgrade(store.engine)  # a second start-up changes nothing and does not fail


async def test_references_count_per_year_and_prefix(store: Store) -> None:
    refs = []
    for i, (year, prefix) in enumerate([(2026, "AVR"), (2026, "AVR"), (2027, "AVR"), (2026, "RBT")]):
        async with store.unit() as unit:
            person = await unit.add_person(100 + i, "fr", NOW)
            when = NOW.replace(year=year)
            registration = await unit.submit(person, submission(None, f"P{i}", "1990-01-01"), prefix, when)
            refs.append(registration.reference)
    assert refs == ["AVR-2026-00001", "AVR-2026-00002", "AVR-2027-00001", "RBT-2026-00001"]


async def test_same_phone_or_same_name_and_birth_date_flags_both_cases(store: Store) -> None:
    cases = [
        ("+212600000001", "awa diallo", "1990-01-01"),
        ("+212600000001", "someone else", "1980-01-01"),  # same phone as the first
        ("+212600000003", "awa diallo", "1990-01-01"),  # same name and birth date as the first
        ("+212600000004", "awa diallo", "1991-01-01"),  # same name only: not a duplicate
    ]
    ids = []
    for i, (phone, name, born) in enumerate(cases):
        async with store.unit() as unit:
            person = await unit.add_person(200 + i, "fr", NOW)
            registration = await unit.submit(person, submission(phone, name, born), "AVR", NOW)
            ids.append(registration.id)
    async with store.unit() as unit:
        from bot.store import PreRegistration

        rows = (await unit.session.execute(select(PreRegistration).order_by(PreRegistration.id))).scalars().all()
        flagged = ["possible_duplicate" in r.flag_names for r in rows]
    assert flagged == [True, True, True, False]


async def test_a_stale_session_write_is_refused(store: Store) -> None:
    async with store.unit() as unit:
        person = await unit.add_person(300, "fr", NOW)
        unit.add_session(person, "intake", {"status": "active", "key": "a", "revision": 0}, NOW)
    async with store.unit() as first:
        row1 = (await first.session.execute(select(IntakeSession))).scalar_one()
        async with store.unit() as second:
            row2 = (await second.session.execute(select(IntakeSession))).scalar_one()
            second.save_state(row2, {"status": "active", "key": "b", "revision": 1}, NOW)
        with pytest.raises(StaleDataError):
            first.save_state(row1, {"status": "active", "key": "c", "revision": 1}, NOW)
            await first.session.flush()


async def test_a_double_tap_is_applied_once(bot: Bot, phone_factory: Any) -> None:
    phone = phone_factory(language="en")
    await phone.say("/start")
    tap = phone.person.tap("English")
    data = tap["callback_query"]["data"]
    revision, key, value = data.split("|")
    user = User(phone.person.user_id, "en")
    given = ChoiceInput(key, int(revision), value)
    replies = await asyncio.gather(bot.service.answer(user, given), bot.service.answer(user, given))
    kinds = sorted(type(r.items[0]).__name__ for r in replies)
    assert kinds == [Outdated.__name__, Recorded.__name__]
    async with bot.store.unit() as unit:
        row = (await unit.session.execute(select(IntakeSession))).scalar_one()
        assert row.state["answers"] == {"language": "en"} and row.step == "consent"


async def test_service_retries_when_another_writer_moved_the_session_first(bot: Bot) -> None:
    async with bot.store.unit() as unit:
        person = await unit.add_person(400, "fr", NOW)
        unit.add_session(person, "intake", {"status": "active", "key": "a", "revision": 0}, NOW)
    seen: list[int] = []

    async def work(unit: Any, now: datetime) -> int:
        row = (await unit.session.execute(select(IntakeSession))).scalar_one()
        seen.append(row.revision)
        if len(seen) == 1:  # another process writes between our read and our write
            async with bot.store.unit() as other:
                theirs = (await other.session.execute(select(IntakeSession))).scalar_one()
                other.save_state(theirs, {"status": "active", "key": "b", "revision": 1}, now)
        state = {"status": "active", "key": "c", "revision": row.revision + 1}
        unit.save_state(row, state, now)
        await unit.session.flush()
        return int(state["revision"])

    assert await bot.service._run(work) == 2
    assert seen == [0, 1]
