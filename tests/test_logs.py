"""What `intake-bot run` logs, in a real process: at the default level, what an operator
needs (the start, the addresses, one line per check-in run that did something, problems);
the libraries' routine lines only with --log-level debug."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import logs
from bot.app import build
from bot.config import Settings
from tests.helpers import Clock, returned_case, wait_for

ROUTINE = (
    "apscheduler",
    "Running job",
    "executed successfully",
    "alembic",
    "Running upgrade",
    "httpx",
    "HTTP Request",
    "Application started",
)


class Run:
    """`intake-bot run` offline on a fresh data directory, its log read as it comes."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.tmp_path = tmp_path
        self.args = args
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.lines: list[str] = []

    async def __aenter__(self) -> Run:
        env = {
            **os.environ,
            "INTAKE_DATA_DIR": str(self.tmp_path),
            "INTAKE_PORT": str(self.port),
            "INTAKE_DISPATCH_SECONDS": "1",
        }
        for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "INTAKE_LOG_LEVEL"):
            env.pop(name, None)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *self.args,
            cwd=self.tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode())

    async def logged(self, text: str) -> None:
        await wait_for(lambda: any(text in line for line in self.lines), seconds=30)

    async def __aexit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(30):
                self.stdout = await self.process.stdout.read()
                await self.reader
                await self.process.wait()
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()

    @property
    def log(self) -> str:
        return "".join(self.lines)


async def add_due_checkin(data_dir: Path) -> None:
    """A returned case whose first check-in is due, written by another process."""
    settings = Settings(_env_file=None, data_dir=data_dir, telegram_bot_token=None)  # type: ignore[call-arg]
    bot = await build(settings, clock=Clock(datetime.now(UTC)), migrate=False)
    try:
        await returned_case(bot, 5001, return_date=date.today() - timedelta(days=8))
    finally:
        await bot.stop()


async def test_the_default_log_shows_the_start_the_address_and_check_in_runs(
    tmp_path: Path,
) -> None:
    async with Run(tmp_path, "run") as run:  # a fresh database: every migration runs
        await run.logged("bot running")
        await add_due_checkin(tmp_path)
        await run.logged("check-ins:")
        await asyncio.sleep(2)  # more runs of the dispatcher, which find nothing to do
    assert run.process.returncode == 0, run.log
    assert f"dashboard on http://127.0.0.1:{run.port}/" in run.log
    assert f"Simulator:  http://127.0.0.1:{run.port}/simulator" in run.stdout.decode()
    (checkins,) = [line for line in run.lines if "check-ins:" in line]
    assert "recovered 0" in checkins  # one line for the run, with its counts
    assert [noise for noise in ROUTINE if noise in run.log] == []
    assert "stopping" in run.log and "Traceback" not in run.log


async def test_log_level_debug_shows_the_libraries_routine_lines(tmp_path: Path) -> None:
    async with Run(tmp_path, "--log-level", "debug", "run") as run:
        await run.logged("executed successfully")  # the scheduler's lines for each run
    assert run.process.returncode == 0, run.log
    assert "Running upgrade" in run.log and "Running job" in run.log


async def test_log_level_warning_after_the_command_hides_the_start(tmp_path: Path) -> None:
    async with Run(tmp_path, "run", "--log-level", "warning") as run:
        assert run.process.stdout is not None
        await asyncio.wait_for(run.process.stdout.readline(), timeout=30)  # started
    assert run.process.returncode == 0, run.log
    assert "bot running" not in run.log and "stopping" not in run.log


def test_a_run_skipped_while_the_last_one_works_is_a_routine_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A check-in run longer than the interval: APScheduler skips the next, by design."""
    scheduler = logging.getLogger("apscheduler.scheduler")
    names = ("", *logs.ROUTINE, *logs.CLAMPED)
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        logs.configure("INFO")
        scheduler.warning(
            "Execution of job %r skipped: maximum number of running instances reached (1)",
            "check-ins",
        )
        scheduler.warning("Run time of job %r was missed by 0:01:02", "check-ins")
        logs.configure("DEBUG")
        scheduler.warning(
            "Execution of job %r skipped: maximum number of running instances reached (1)",
            "retention",
        )
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert [r.getMessage().split(" skipped")[0] for r in caplog.records] == [
        "Run time of job 'check-ins' was missed by 0:01:02",
        "Execution of job 'retention'",
    ]
