"""The store on a real database: migrations, references, duplicates, concurrent writers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Runtime
from bot.engine import ChoiceInput, Outdated, Recorded, TextInput
from bot.replies import User
from bot.store import (
    IntakeSession,
    Person,
    StaleSession,
    Store,
    Submission,
    cases,
    people,
    sessions,
)
from tests.helpers import table_rows

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


def submission(phone: str | None, name: str, born: str) -> Submission:
    answers = {"full_name": name, "date_of_birth": born, "phone": phone}
    return Submission(answers, {}, ("family_case",), "1", name.lower())


@pytest.fixture
async def store(database_url: str) -> Any:
    store = Store(database_url)
    await store.upgrade()
    yield store
    await store.close()


async def test_migrations_create_every_table(store: Store) -> None:
    tables = ["people", "sessions", "pre_registrations", "pre_registration_flags",
              "audit_events", "reference_counters", "alembic_version"]  # fmt: skip
    async with store.unit() as unit:
        for table in tables:
            count = await unit.connection.execute(text(f"SELECT count(*) FROM {table}"))
            assert count.scalar_one() == (1 if table == "alembic_version" else 0)


async def test_references_count_per_year_and_prefix(store: Store) -> None:
    refs = []
    for i, (year, prefix) in enumerate(
        [(2026, "AVR"), (2026, "AVR"), (2027, "AVR"), (2026, "RBT")]
    ):
        async with store.unit() as unit:
            person = await people.add(unit, 100 + i, "fr", NOW)
            when = NOW.replace(year=year)
            sent = await cases.submit(
                unit, person, submission(None, f"P{i}", "1990-01-01"), prefix, when
            )
            refs.append(sent.reference)
    assert refs == ["AVR-2026-00001", "AVR-2026-00002", "AVR-2027-00001", "RBT-2026-00001"]


async def test_same_phone_or_same_name_and_birth_date_flags_both_cases(store: Store) -> None:
    given = [
        ("+212600000001", "awa diallo", "1990-01-01"),
        ("+212600000001", "someone else", "1980-01-01"),  # same phone as the first
        ("+212600000003", "awa diallo", "1990-01-01"),  # same name and birth date as the first
        ("+212600000004", "awa diallo", "1991-01-01"),  # same name only: not a duplicate
    ]
    person_ids = []
    for i, (phone, name, born) in enumerate(given):
        async with store.unit() as unit:
            person = await people.add(unit, 200 + i, "fr", NOW)
            await cases.submit(unit, person, submission(phone, name, born), "AVR", NOW)
            person_ids.append(person.id)
    async with store.unit() as unit:
        flagged = [
            "possible_duplicate" in (await cases.of_person(unit, pid))[0].flags
            for pid in person_ids
        ]
    assert flagged == [True, True, True, False]


async def test_a_stale_session_write_is_refused(store: Store) -> None:
    async with store.unit() as unit:
        person = await people.add(unit, 300, "fr", NOW)
        await sessions.add(
            unit, person.id, "intake", {"status": "active", "key": "a", "revision": 0}, NOW
        )
    async with store.unit() as unit:
        _, read = await sessions.person_and_session(unit, 300)
    assert read is not None
    async with store.unit() as second:
        await sessions.save(second, read, {"status": "active", "key": "b", "revision": 1}, NOW)
    with pytest.raises(StaleSession):
        async with store.unit() as first:
            await sessions.save(first, read, {"status": "active", "key": "c", "revision": 1}, NOW)
    async with store.unit() as unit:
        _, latest = await sessions.person_and_session(unit, 300)
    assert latest is not None and (latest.step, latest.version) == ("b", 2)


async def test_a_double_tap_is_applied_once(bot: Runtime, phone_factory: Any) -> None:
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
    (row,) = await table_rows(bot, IntakeSession)
    assert row["state"]["answers"] == {"language": "en"} and row["step"] == "consent"


async def test_service_retries_when_another_writer_moved_the_session_first(bot: Runtime) -> None:
    async with bot.store.unit() as unit:
        person = await people.add(unit, 400, "fr", NOW)
        await sessions.add(
            unit, person.id, "intake", {"status": "active", "key": "a", "revision": 0}, NOW
        )
    seen: list[int] = []

    async def work(unit: Any, now: datetime) -> int:
        _, row = await sessions.person_and_session(unit, 400)
        seen.append(row.version)
        if len(seen) == 1:  # another process writes between our read and our write
            async with bot.store.unit() as other:
                _, theirs = await sessions.person_and_session(other, 400)
                await sessions.save(
                    other, theirs, {"status": "active", "key": "b", "revision": 1}, now
                )
        await sessions.save(unit, row, {"status": "active", "key": "c", "revision": 2}, now)
        return int(row.version)

    assert await bot.service._run(work) == 2
    assert seen == [1, 2]


async def test_erasing_a_case_clears_its_twins_duplicate_flag(store: Store) -> None:
    async with store.unit() as unit:
        first = await people.add(unit, 500, "fr", NOW)
        await cases.submit(
            unit, first, submission("+212600000009", "a b", "1990-01-01"), "AVR", NOW
        )
        second = await people.add(unit, 501, "fr", NOW)
        await cases.submit(
            unit, second, submission("+212600000009", "c d", "1991-01-01"), "AVR", NOW
        )
        assert "possible_duplicate" in (await cases.of_person(unit, first.id))[0].flags
    async with store.unit() as unit:
        await people.erase(unit, second.id)
    async with store.unit() as unit:
        assert "possible_duplicate" not in (await cases.of_person(unit, first.id))[0].flags


async def test_two_first_messages_at_once_make_one_person_and_one_session(bot: Runtime) -> None:
    """On PostgreSQL the two run concurrently: the loser of the race retries on fresh data."""
    user = User(600, "fr")
    replies = await asyncio.gather(
        bot.service.answer(user, TextInput("bonjour")),
        bot.service.answer(user, TextInput("allo")),
    )
    assert all(reply.items for reply in replies)
    assert len(await table_rows(bot, Person)) == 1
    assert len(await table_rows(bot, IntakeSession)) == 1
