"""The nightly backup: copies of the SQLite database kept in a folder, failures in plain
sight on the supervisors' page."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from bot.app import Runtime, build
from bot.backups import Backups
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store import AuditEvent, copies
from tests.helpers import Clock, add_account, add_case, sign_in, table_rows

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"backup_dir": tmp_path / "backups", "backup_keep": 3})


def nightly(bot: Runtime) -> Backups:
    assert bot.backups is not None
    return bot.backups


def references(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [r for (r,) in db.execute("SELECT reference FROM pre_registrations ORDER BY id")]


async def test_nightly_backups_keep_the_last_ones(bot: Runtime, clock: Clock) -> None:
    folder = nightly(bot).folder
    folder.mkdir()
    (folder / "README.txt").write_text("not ours: left alone")
    first = await add_case(bot, 71)
    for _night in range(4):
        assert await nightly(bot).run() is not None
        clock.advance(days=1)
    second = await add_case(bot, 72)
    copy = await nightly(bot).run()
    assert copy is not None and copy.size > 0

    kept = sorted(p.name for p in folder.glob("intake-*.db"))
    assert kept == [
        "intake-20261129-100000.db",
        "intake-20261130-100000.db",
        "intake-20261201-100000.db",
    ]
    assert (folder / "README.txt").exists()
    assert references(folder / kept[-2]) == [first]
    assert references(folder / kept[-1]) == [first, second]
    assert copies.check(folder / kept[-1])  # each a database of this bot, ready to restore
    made = [e for e in await table_rows(bot, AuditEvent) if e["action"] == copies.MADE]
    assert len(made) == 5
    assert made[-1]["details"] == {"bytes": copy.size, "file": kept[-1]}


async def test_a_backup_folder_that_cannot_be_written_is_logged_and_shown_in_red(
    bot: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "backups"
    blocker.write_text("a file where the folder should be")
    await add_case(bot, 73)
    with caplog.at_level(logging.INFO):
        assert await nightly(bot).run() is None
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == f"nightly backup to {blocker} failed: FileExistsError"
    await add_account(bot, "sara", role="supervisor")
    transport = httpx.ASGITransport(app=bot.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client, "sara")
        page = await client.get("/accounts")
        assert page.status_code == 200
        assert (
            '<p class="alarm" role="alert">The nightly backup of 2026-11-27 10:00 UTC failed '
            "(FileExistsError): check that the folder INTAKE_BACKUP_DIR names can be written, "
            "and the server&#39;s log.</p>"
        ) in page.text

        blocker.unlink()  # mended: the next night's backup works, and the red line goes
        assert await nightly(bot).run() is not None
        page = await client.get("/accounts")
        assert 'class="alarm"' not in page.text
        assert re.search(
            r"<p>Last nightly backup: 2026-11-27 10:00 UTC, \d+\.\d MB\.</p>", page.text
        )


async def test_the_nightly_backup_is_scheduled_only_when_a_folder_is_set(
    bot: Runtime, settings: Settings, api: OfflineBotAPI
) -> None:
    assert bot.application.job_queue is not None
    assert "backup" in {job.name for job in bot.application.job_queue.jobs()}
    plain = await build(settings.model_copy(update={"backup_dir": None}), offline=api)
    try:
        assert plain.backups is None and plain.application.job_queue is not None
        assert "backup" not in {job.name for job in plain.application.job_queue.jobs()}
    finally:
        await plain.stop()
