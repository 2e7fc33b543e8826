"""/delete erases everything, down to the bytes of the database file; personal data never
reaches the logs."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select, text
from sqlalchemy.schema import CreateTable

from bot import logs
from bot.answers import format_answer
from bot.app import Runtime, build
from bot.chat.phone import BotMessage
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.engine import Step
from bot.i18n import Translator
from bot.lifecycle import running
from bot.store import cases, people
from bot.store.models import Base
from tests.helpers import (
    Clock,
    Phone,
    RemotePhone,
    add_account,
    add_case,
    at_full_name,
    browser,
    on_disk,
    sign_in,
    wait_for,
)
from tests.walker import answer_until, complete_intake, intake_flow

PERSONAL = ("Awa Diallo", "+22376123456", "Bamako", "Tailoring", "9123")


async def all_rows(bot: Runtime) -> str:
    dump = []
    async with bot.store.unit() as unit:
        for table in Base.metadata.sorted_tables:
            for row in (await unit.connection.execute(select(table))).all():
                dump.append(f"{table.name}: {tuple(row)}")
    return "\n".join(dump)


async def test_delete_leaves_no_personal_data_in_any_table(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(user_id=9123, language="en")
    assert await complete_intake(phone, language="en") == "AVR-2026-00001"
    before = await all_rows(bot)
    assert all(value in before for value in PERSONAL)

    confirm = await phone.say("/delete")
    assert confirm.text.startswith("Erase all your data?")
    kept = await phone.tap("No, keep my data")
    assert kept.text == "All right, nothing has changed."
    assert await all_rows(bot) == before

    await phone.say("/delete")
    done = await phone.tap("Yes, erase everything")
    assert done.text.startswith("All your data has been erased.")
    after = await all_rows(bot)
    for value in PERSONAL:
        assert value not in after
    tables = {line.split(":")[0] for line in after.splitlines()}
    assert "people" not in tables and "pre_registrations" not in tables
    assert "case_statistics" in tables  # anonymous: what the reports count stays
    assert "person.erased" in after  # audited, with counts only
    assert (await phone.say("/mydata")).text == "We keep no data about you."


async def test_no_personal_data_in_logs(
    bot: Runtime, phone_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    phone: Phone = phone_factory(user_id=9123, language="en")
    logs.configure("DEBUG")  # as an operator would, to investigate a problem
    with caplog.at_level(logging.DEBUG):
        assert await complete_intake(phone, language="en") == "AVR-2026-00001"
        await phone.send(phone.person.tap(data="garbage", message=phone.last))
        await phone.say("/delete")
        await phone.tap("Yes, erase everything")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    # The bot did log, with ids and step names: the check below means something.
    assert "pre-registration AVR-2026-00001 submitted" in logged
    assert "session 1: full_name -> sex" in logged
    for value in PERSONAL:
        assert value not in logged


# Someone nobody else is: every way their name and number may be written on disk.
NAME, PHONE = "Éloïse Zanguéa Mbokolo", "+22376987654"
ON_DISK = (
    NAME.encode(),
    b"eloise zanguea mbokolo",  # the folded key duplicates are found by
    json.dumps(NAME).strip('"').encode(),  # JSON columns escape what is not ASCII
    NAME.encode("utf-16-le"),
    b"Mbokolo",
    b"mbokolo",
    PHONE.encode(),
    PHONE.lstrip("+").encode(),  # the digits alone
    b"76987654",  # the national number
)
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def found_on_disk(bot: Runtime) -> dict[str, list[bytes]]:
    return on_disk(bot, *ON_DISK)


@sqlite_only
@pytest.mark.parametrize("secure_delete", [True, False], ids=["secure_delete", "without"])
async def test_delete_leaves_no_trace_in_the_database_files(
    bot: Runtime, api: OfflineBotAPI, secure_delete: bool
) -> None:
    if not secure_delete:  # as on SQLite builds where it is off by default
        async with bot.store.unit() as unit:
            await unit.connection.execute(text("PRAGMA secure_delete=OFF"))
    async with bot.store.unit() as unit:
        setting = await unit.connection.execute(text("PRAGMA secure_delete"))
        assert setting.scalar_one() == secure_delete
    # Every update goes through the inbox, as Telegram's would: its raw updates are on
    # disk too until handled.
    person = api.person(9124, "Awa", "en")

    async def receive(update: dict[str, Any]) -> None:
        await bot.inbox.receive([update])

    phone = RemotePhone(person, post=receive, wait=wait_for)
    async with running(bot):
        await complete_intake(phone, language="en", full_name=NAME, phone=PHONE)
        before = found_on_disk(bot)
        assert set(before["test.db-wal"]) == set(ON_DISK) - {NAME.encode("utf-16-le")}
        count = len(person.inbox)
        await receive(person.text("/delete"))
        await wait_for(lambda: len(person.inbox) > count)
        await receive(person.tap("Yes, erase everything"))
        await wait_for(lambda: person.last.text.startswith("All your data"))
        after = found_on_disk(bot)  # while the bot runs
    if secure_delete:
        assert after == {"test.db": [], "test.db-wal": []}
    else:  # without it, deleted rows stay in free space, and pages written since carry it
        assert NAME.encode() in after["test.db"] + after["test.db-wal"]
        assert PHONE.encode() in after["test.db"] + after["test.db-wal"]
    await bot.stop()
    assert (found_on_disk(bot)["test.db"] == []) is secure_delete


@sqlite_only
async def test_a_cancelled_intake_leaves_no_trace_in_the_database_files(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(user_id=9129, language="en")
    await at_full_name(phone)
    await phone.say(NAME)
    assert b"Mbokolo" in found_on_disk(bot)["test.db-wal"]  # in the session's answers
    await phone.say("/cancel")
    assert (await phone.tap("Yes, stop")).text.startswith("Your request has been stopped")
    assert found_on_disk(bot) == {"test.db": [], "test.db-wal": []}


@sqlite_only
async def test_erased_rows_stay_in_the_log_until_the_store_is_scrubbed(bot: Runtime) -> None:
    await add_case(bot, 9125, full_name=NAME, phone=PHONE)
    async with bot.store.unit() as unit:
        person = await people.find(unit, 9125)
        assert person is not None
        await people.erase(unit, person.id)
    assert NAME.encode() in found_on_disk(bot)["test.db-wal"]  # older copies of the pages
    await bot.store.scrub()
    assert found_on_disk(bot) == {"test.db": [], "test.db-wal": []}


async def test_raw_rows_of_a_person_are_erased_by_their_chat(bot: Runtime) -> None:
    """A table of raw updates plugs in by its chat column (people.RAW_BY_CHAT)."""
    raw = Table(
        "raw_example", MetaData(), Column("chat_id", BigInteger), Column("body", String(100))
    )
    async with bot.store.unit() as unit:
        await unit.connection.execute(CreateTable(raw))
        rows = [{"chat_id": 9126, "body": NAME}, {"chat_id": 9127, "body": "Awa Diallo"}]
        await unit.connection.execute(insert(raw), rows)
        await people.erase_raw(unit, [9126], columns=(raw.c.chat_id,))
        left = await unit.connection.execute(select(raw.c.chat_id))
        assert left.scalars().all() == [9127]


@sqlite_only
async def test_an_erasure_cut_short_by_a_crash_reaches_the_disk_at_the_next_start(
    bot: Runtime, settings: Settings, tmp_path: Path
) -> None:
    await add_case(bot, 9128, full_name=NAME, phone=PHONE)
    async with bot.store.unit() as unit:
        person = await people.find(unit, 9128)
        assert person is not None
        await people.erase(unit, person.id)
    # What a crash right after the commit leaves: the file and its log, not yet scrubbed.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("test.db", "test.db-wal"):
        shutil.copyfile(tmp_path / name, crashed / name)
    url = f"sqlite:///{crashed / 'test.db'}"
    again = await build(settings.model_copy(update={"database_url": url}), offline=OfflineBotAPI())
    assert NAME.encode() in on_disk(again, *ON_DISK)["test.db-wal"]
    await again.start()
    try:
        assert on_disk(again, *ON_DISK) == {"test.db": [], "test.db-wal": []}
    finally:
        await again.stop()


# Answers to questions about health and safety, given "yes": a phone is often shared,
# or read over a shoulder, so the bot never shows them again.
SENSITIVE = {"medical_needs": True, "pregnant": "yes", "protection": True}


def sensitive_steps() -> list[Step]:
    steps = [step for step in intake_flow().steps if step.sensitive]
    assert {step.id for step in steps} == set(SENSITIVE)  # a new one gets a value here
    return steps


def shown_answers(messages: list[BotMessage], tr: Translator) -> list[str]:
    """The lines of `messages` that show a sensitive answer: its label beside it, or as the
    answer being corrected."""
    found = []
    for step in sensitive_steps():
        label, answer = tr.gettext(step.review_label), format_answer(step, SENSITIVE[step.id], tr)
        current = tr.gettext("Current answer: {answer}", answer=answer)
        for message in messages:
            for line in message.text.splitlines():
                if (label in line and answer in line.replace(label, "")) or current in line:
                    found.append(line)
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_sensitive_answers_are_never_shown_to_the_person_again(
    bot: Runtime, phone_factory: Any, clock: Clock, language: str
) -> None:
    tr = bot.catalogs.translator(language)
    saved = tr.gettext("Answer saved")
    phone: Phone = phone_factory(user_id=9130, language=language)
    await answer_until(phone, "review", language=language, sex="female", **SENSITIVE)
    review = phone.last
    for step in sensitive_steps():  # listed, without the answer, and still editable
        assert f"{tr.gettext(step.review_label)}: {saved}" in review.text
        assert any(b["callback_data"].endswith(f"|edit:{step.id}") for b in review.buttons)
    asked_again = await phone.choose("edit:pregnant")
    assert tr.gettext("Are you pregnant?") in asked_again.text
    await phone.choose("yes")
    reference = await complete_intake(phone, language=language)

    mydata = await phone.say("/mydata")
    assert tr.gettext("This is the data we keep about you:") in mydata.text
    assert f"{tr.gettext('Pregnant')}: {saved}" in mydata.text

    async with bot.store.unit() as unit:  # "we need more information" on a sensitive answer
        case = await cases.by_reference(unit, reference)
    assert case is not None
    assert await bot.service.open_correction(case.id, ["pregnant", "medical_needs"])
    assert (await bot.outbox.flush(9130)).sent
    count = len(phone.inbox)
    await complete_intake(phone, language=language, **SENSITIVE)
    assert len(phone.inbox) > count

    unfinished: Phone = phone_factory(user_id=9131, language=language)
    await answer_until(unfinished, "occupation", language=language, sex="female", **SENSITIVE)
    clock.advance(hours=25)
    assert (await bot.retention.run()).reminded == 1

    assert shown_answers(phone.inbox + unfinished.inbox, tr) == []
    # Staff still read the answers on the dashboard.
    await add_account(bot)
    async with browser(bot.web) as client:
        await sign_in(client)
        page = await client.get(f"/cases/{reference}")
    staff = bot.catalogs.translator("en")
    for step in sensitive_steps():
        label, answer = (
            staff.gettext(step.review_label),
            format_answer(step, SENSITIVE[step.id], staff),
        )
        assert f'<th scope="row">{label}</th><td>{answer}</td>' in page.text
