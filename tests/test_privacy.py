"""/delete erases everything; personal data never reaches the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot import logs
from bot.app import Runtime
from bot.store.models import Base
from tests.helpers import Phone
from tests.walker import complete_intake

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
    assert "people:" not in after and "pre_registrations:" not in after
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
