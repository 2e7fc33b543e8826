"""The daily retention job: erasing what is over, reminding what is unfinished."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.app import Runtime
from bot.chat.transport import OfflineBotAPI
from bot.cli import main
from bot.store import AuditEvent, Person, PreRegistration, cases, people
from bot.store.models import IntakeSession
from tests.helpers import Clock, add_case, on_disk, returned_case, table_rows


async def age_case(bot: Runtime, case_id: int, status: str, days: float) -> None:
    table = PreRegistration.__table__
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(table).where(table.c.id == case_id).values(
                status=status, status_changed_at=bot.service.clock() - timedelta(days=days)
            )
        )  # fmt: skip


async def age_sessions(bot: Runtime, telegram_id: int, hours: float) -> None:
    sessions = IntakeSession.__table__
    async with bot.store.unit() as unit:
        person = await people.find(unit, telegram_id)
        assert person is not None
        await unit.connection.execute(
            update(sessions).where(sessions.c.person_id == person.id).values(
                updated_at=bot.service.clock() - timedelta(hours=hours)
            )
        )  # fmt: skip


async def test_cases_over_for_a_year_are_erased_with_their_people(bot: Runtime) -> None:
    old = await returned_case(bot, 60)
    await age_case(bot, old, "closed", 366)
    recent = await returned_case(bot, 61)
    await age_case(bot, recent, "rejected", 300)
    active = await returned_case(bot, 62)
    await age_case(bot, active, "returned", 800)  # still followed: kept
    report = await bot.retention.run()
    assert (report.cases, report.people) == (1, 1)
    remaining = {r["id"] for r in await table_rows(bot, PreRegistration)}
    assert remaining == {recent, active}
    assert 60 not in {p["telegram_id"] for p in await table_rows(bot, Person)}
    [audit] = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "retention.erased"]
    assert audit["details"] == {"cases": 1, "intakes": 0, "people": 1}  # counts only


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_erased_cases_leave_the_database_files(bot: Runtime) -> None:
    name = b"Kofi Ntsama-Obiang"
    reference = await add_case(bot, 67, full_name=name.decode(), phone="+22376555012")
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    await age_case(bot, case.id, "closed", 400)
    assert on_disk(bot, name, b"22376555012")["test.db-wal"] == [name, b"22376555012"]
    assert (await bot.retention.run()).cases == 1
    assert on_disk(bot, name, b"22376555012") == {"test.db": [], "test.db-wal": []}


async def test_abandoned_intakes_are_erased_and_unfinished_ones_reminded_once(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, phone_factory: Any
) -> None:
    abandoned, waiting, fresh = phone_factory(63), phone_factory(64), phone_factory(65)
    for phone in (abandoned, waiting, fresh):
        await phone.say("/start")
        await phone.choose("fr")
    await age_sessions(bot, 63, 31 * 24)
    await age_sessions(bot, 64, 25)
    await age_sessions(bot, 65, 2)
    dry = await bot.retention.run(dry_run=True)
    assert (dry.cases, dry.intakes, dry.dry_run) == (0, 1, True)
    assert len(await table_rows(bot, IntakeSession)) == 3  # a dry run changes nothing
    report = await bot.retention.run()
    assert (report.intakes, report.people, report.reminded) == (1, 1, 1)
    assert {p["telegram_id"] for p in await table_rows(bot, Person)} == {64, 65}
    fr = bot.catalogs.translator("fr")
    assert waiting.last.text == fr.gettext(
        "You started a request for help to return home and did not finish it. Send /start to "
        "continue where you left off. If you do nothing, your answers will be erased after "
        "{days} days.",
        days=30,
    )
    assert len(fresh.inbox) == 2  # language question, consent: no reminder
    again = await bot.retention.run()
    assert again.reminded == 0  # once only
    await waiting.say("/start")  # and the intake goes on where it was
    assert [b["callback_data"] for b in waiting.last.buttons] == [
        "1|consent|agree",
        "1|consent|decline",
        "!consent|more",
    ]


def test_purge_dry_run_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["purge", "--dry-run"]) == 0
    assert "would erase 0 case(s)" in capsys.readouterr().out
    assert main(["followups", "list"]) == 0
    assert "no check-ins" in capsys.readouterr().out
    assert main(["followups", "send-now"]) == 2  # offline, nobody would receive them


async def test_followups_commands_list_what_is_due(
    bot: Runtime, clock: Clock, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import _followups_list

    case_id = await returned_case(bot, 66)
    async with bot.store.unit() as unit:
        case = await cases.by_id(unit, case_id)
    assert case is not None

    class Args:
        due, limit = False, 10

    assert await _followups_list(Args(), bot.settings) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.startswith("planned 5")
    assert f"{case.reference}  day_7     planned  due 2026-11-27 10:00 UTC" in out
