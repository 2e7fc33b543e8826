"""SIGTERM stops `intake-bot run` within five seconds whatever it is doing, in a real
process: idle, after a kill and a restart, with simulator pages waiting for news, and in
the middle of a check-in run with hundreds of rows due.

Five seconds of wall time from the signal to the exit is the guarantee a supervisor
(systemd, Docker: ten seconds before SIGKILL) relies on; an idle bot stops in about one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from bot.app import build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store import PreRegistration
from tests.helpers import Clock, returned_case, token, wait_for, wait_for_port

STOP_SECONDS = 5
TOKEN = "123456:local-test-token"


class Bot:
    """`intake-bot run` in its own process, its output in files (a pipe left unread
    would block it)."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.out = tmp_path / "out.txt"
        self.err = tmp_path / "err.txt"
        self.starts = 0

    async def start(self) -> asyncio.subprocess.Process:
        with self.out.open("ab") as out, self.err.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run",
                cwd=self.tmp_path, env=self.env, stdout=out, stderr=err,
            )  # fmt: skip
        await wait_for(lambda: self.log.count("bot running") > self.starts, seconds=60)
        self.starts = self.log.count("bot running")
        return self.process

    @property
    def log(self) -> str:
        return self.err.read_text() if self.err.exists() else ""

    async def stop(self) -> float:
        """SIGTERM, then the seconds until the process ended."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=60)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        return time.monotonic() - began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def offline_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {**os.environ, "INTAKE_DATA_DIR": str(tmp_path), "INTAKE_PORT": str(port)}
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL"):
        env.pop(name, None)
    return env


def polling_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    return {
        **offline_env(tmp_path, free_port()),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
    }


async def test_sigterm_stops_an_idle_bot_and_one_restarted_after_a_kill(tmp_path: Path) -> None:
    bot = Bot(tmp_path, offline_env(tmp_path, free_port()))
    killed = await bot.start()
    killed.kill()
    await killed.wait()
    await bot.start()
    await asyncio.sleep(1)
    assert await bot.stop() < STOP_SECONDS
    assert bot.process.returncode == 0, bot.log
    assert "Traceback" not in bot.log


async def test_sigterm_answers_simulator_pages_waiting_for_news(tmp_path: Path) -> None:
    port = free_port()
    bot = Bot(tmp_path, offline_env(tmp_path, port))
    await bot.start()
    await wait_for(lambda: "Password:" in bot.out.read_text(), seconds=30)
    password = bot.out.read_text().split("Password:")[1].split()[0]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        await wait_for_port(client, port)
        login = await client.get("/login")
        await client.post(
            "/login", data={"username": "admin", "password": password, "csrf_token": token(login)}
        )
        page = await client.get("/simulator")
        added = await client.post(
            "/simulator/phones", data={"name": "Awa", "language": "fr", "csrf_token": token(page)}
        )
        phone = added.headers["location"].split("phone=")[1]
        waiting = [  # pages waiting for a change that will not come
            asyncio.create_task(client.get(f"/simulator/phones/{phone}/screen?since=99"))
            for _ in range(3)
        ]
        await asyncio.sleep(1)
        assert not any(page.done() for page in waiting)
        assert await bot.stop() < STOP_SECONDS
        answers = await asyncio.gather(*waiting)
    assert [answer.status_code for answer in answers] == [204] * 3  # "nothing new", not 500
    assert bot.process.returncode == 0, bot.log
    assert "Traceback" not in bot.log and "ERROR" not in bot.log


def daytime_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now: no quiet hours."""
    offset = (12 - now.hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is three hours ahead of UTC


async def due_checkins(data_dir: Path, count: int) -> None:
    """`count` returned cases whose first check-in is due now, at noon where they live."""
    now = datetime.now(UTC)
    settings = Settings(_env_file=None, data_dir=data_dir, telegram_bot_token=None)  # type: ignore[call-arg]
    bot = await build(settings, clock=Clock(now))
    try:
        for n in range(count):
            await returned_case(bot, 6000 + n, return_date=date.today() - timedelta(days=8))
        async with bot.store.unit() as unit:
            await unit.connection.execute(
                update(PreRegistration.__table__).values(time_zone=daytime_zone(now))
            )
    finally:
        await bot.stop()


async def test_sigterm_ends_a_check_in_run_after_the_row_in_hand(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    """300 due check-ins take ten seconds at 30 messages a second: the stop does not
    wait for them, and those not sent stay due for the next start."""
    api, base_url = local_telegram
    await due_checkins(tmp_path, 300)
    env = {**polling_env(tmp_path, base_url), "INTAKE_DISPATCH_SECONDS": "1"}
    bot = Bot(tmp_path, env)
    await bot.start()
    await wait_for(lambda: sum(c == "sendMessage" for c, _ in api.calls) >= 10, seconds=30)
    assert await bot.stop() < STOP_SECONDS
    assert bot.process.returncode == 0, bot.log
    sent = sum(c == "sendMessage" for c, _ in api.calls)
    assert 10 <= sent < 300
    assert f"check-ins: sent {sent};" in bot.log
    with sqlite3.connect(tmp_path / "intake.db") as db:
        statuses = dict(
            db.execute(
                "SELECT status, count(*) FROM followups WHERE checkin = 'day_7' "
                "AND claimed_until IS NULL GROUP BY status"
            ).fetchall()
        )
    assert statuses == {"sent": sent, "planned": 300 - sent}


@asynccontextmanager
async def polling_bot(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> AsyncIterator[tuple[Bot, OfflineBotAPI]]:
    api, base_url = local_telegram
    bot = Bot(tmp_path, polling_env(tmp_path, base_url))
    await bot.start()
    await wait_for(lambda: any(c == "getUpdates" for c, _ in api.calls))
    yield bot, api


def get_updates_calls(api: OfflineBotAPI) -> int:
    return sum(c == "getUpdates" for c, _ in api.calls)


async def test_sigterm_while_polling_waits_after_an_error(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    async with polling_bot(local_telegram, tmp_path) as (bot, api):
        person = api.person(42, "Awa", "en")
        api.fail("getUpdates", 429, "Too Many Requests: retry after 8", retry_after=8)
        calls = get_updates_calls(api)
        api.deliver(person.text("/start"))  # ends the long poll; the next call fails
        await wait_for(lambda: get_updates_calls(api) > calls)
        await asyncio.sleep(0.5)  # in the 8.5 s PTB waits before asking again
        assert await bot.stop() < STOP_SECONDS


async def test_sigterm_while_updates_wait_to_be_handled(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    async with polling_bot(local_telegram, tmp_path) as (bot, api):
        api.latency = 0.3  # each Bot API call, as over a slow network
        people = [api.person(100 + n, "Awa", "en") for n in range(3)]
        for _ in range(30):
            for person in people:
                api.deliver(person.text("/start"))
        await wait_for(lambda: any(person.inbox for person in people))
        assert await bot.stop() < STOP_SECONDS
