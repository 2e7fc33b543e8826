"""Two `intake-bot run` processes in webhook mode on one PostgreSQL database.

200 people do a whole intake at once; each person's updates go to the two processes in
turn, so consecutive answers of one chat are handled by different processes. The local
Bot API sets no flood limit, so the processes may send faster than Telegram's 30 a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.chat.phone import BotMessage, SimulatedPerson
from bot.chat.transport import OfflineBotAPI
from tests.helpers import RemotePhone, reset_postgres, wait_for, wait_for_port
from tests.walker import complete_intake

PEOPLE = int(os.environ.get("LOAD_PEOPLE", "200"))
SECRET = "load-test-webhook-secret"
TOKEN = "123456:load-test-token"
POSTGRES = os.environ.get("TEST_DATABASE_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES, reason="TEST_DATABASE_URL is not set: no PostgreSQL to test against"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Chats:
    """Wakes whoever waits on a chat when the bot writes to it."""

    def __init__(self, api: OfflineBotAPI) -> None:
        self.events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        api.listeners.append(self.on_message)

    def on_message(self, kind: str, message: BotMessage) -> None:
        self.events[message.chat_id].set()

    async def until(self, chat_id: int, condition: Any) -> None:
        async with asyncio.timeout(120):
            while True:
                event = self.events[chat_id]
                event.clear()
                if condition():
                    return
                await event.wait()


async def intake(
    person: SimulatedPerson,
    number: int,
    post: Any,
    chats: Chats,
) -> None:
    """One person's whole intake; each of their updates goes to the other process."""
    inbox = person.inbox
    turn = itertools.count(number)

    async def send(update: dict[str, Any]) -> None:
        count = len(inbox)
        await post(update, next(turn) % 2)
        await chats.until(person.user_id, lambda: len(inbox) > count)

    await send(person.text("/start"))
    for label in ("English", "I agree", "Yes"):
        await send(person.tap(label))
    await send(person.text(f"Person {number:03d}"))
    # A double tap, one tap to each process at once: one answers, the other is outdated
    # and shows the current question again.
    count, first, second = len(inbox), person.tap("Female"), person.tap("Female")
    await asyncio.gather(post(first, 0), post(second, 1))
    await chats.until(person.user_id, lambda: len(inbox) >= count + 2)
    assert inbox[-1].text == inbox[-2].text and "date of birth" in inbox[-1].text
    remote = RemotePhone(
        person,
        post=lambda update: post(update, next(turn) % 2),
        wait=lambda condition: chats.until(person.user_id, condition),
    )
    await complete_intake(
        remote,
        date_of_birth=f"{1 + number % 28:02d}/03/1990",
        nationality="Senegal",  # typed
        phone=f"+22177{number:07d}",
        destination_city="Dakar",
        plan_details=f"Tailoring {number}",
    )


async def test_two_webhook_processes_share_200_concurrent_intakes(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    assert POSTGRES is not None
    await reset_postgres(POSTGRES)
    api, base_url = local_telegram
    api.record_calls = False
    ports = [free_port(), free_port()]
    processes = []
    logs = [tmp_path / f"process-{index}.log" for index in range(len(ports))]
    for index, port in enumerate(ports):
        data = tmp_path / f"process-{index}"
        data.mkdir()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": POSTGRES,
            "INTAKE_DATA_DIR": str(data),
            "INTAKE_PORT": str(port),
            "INTAKE_WEBHOOK_SECRET": SECRET,
            "INTAKE_LOG_LEVEL": "WARNING",
            "INTAKE_MESSAGES_PER_SECOND": "1000",  # the local Bot API sets no limit
        }
        with logs[index].open("wb") as log:  # a file, not a pipe nobody reads until the end
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "run",
                    "--webhook-url", f"http://127.0.0.1:{port}/telegram/webhook",
                    cwd=data, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
                )
            )  # fmt: skip
    chats = Chats(api)
    handled = [0, 0]
    # A client per process that may keep all its connections open: httpcore's pool would
    # otherwise close "surplus" idle ones, or one to the other process to make room, and
    # may pick one it has just handed to a waiting request (encode/httpcore#1110). Only
    # its 5 s idle expiry is left to close connections, a far rarer moment.
    limits = httpx.Limits(max_connections=25, max_keepalive_connections=25)
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(httpx.AsyncClient(limits=limits, timeout=30))
                for _ in ports
            ]
            for client, port in zip(clients, ports, strict=True):
                await wait_for_port(client, port)
            await wait_for(lambda: api.webhook is not None)

            async def post(update: dict[str, Any], index: int) -> None:
                response = await clients[index].post(
                    f"http://127.0.0.1:{ports[index]}/telegram/webhook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert response.status_code == 200
                handled[index] += 1

            people = [api.person(900_000 + n, f"P{n}", "en") for n in range(PEOPLE)]
            async with asyncio.TaskGroup() as intakes:  # one failure stops them all
                for number, person in enumerate(people):
                    intakes.create_task(intake(person, number, post, chats))
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=60)
            except TimeoutError:
                process.kill()  # it would hold its database connections for the next test
                await process.wait()
        outputs = [log.read_text() for log in logs]
        for index, output in enumerate(outputs):  # shown by pytest if the test fails
            print(f"process {index} (exit {processes[index].returncode}):\n{output}")
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-3000:]
        assert "Traceback" not in output
        assert not re.search(r"\bERROR\b", output)  # no update failed
    assert min(handled) > 0.45 * sum(handled)  # both processes did their share

    engine = create_async_engine(POSTGRES)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT p.telegram_id, r.reference, r.full_name, r.date_of_birth, r.phone, "
                    "r.answers FROM pre_registrations r JOIN people p ON p.id = r.person_id"
                )
            )
        ).all()
        open_sessions = (await connection.execute(text("SELECT count(*) FROM sessions"))).scalar()
    await engine.dispose()
    assert len(rows) == PEOPLE and open_sessions == 0
    assert len({row.reference for row in rows}) == PEOPLE
    for row in rows:
        number = row.telegram_id - 900_000
        assert (row.full_name, row.phone) == (f"Person {number:03d}", f"+22177{number:07d}")
        assert row.date_of_birth == f"1990-03-{1 + number % 28:02d}"
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers)
        assert answers["sex"] == "female"  # tapped twice, answered once
        assert answers["occupation"] == ["crafts"]  # toggled once, not twice
        assert answers["reintegration_plan"] == "training"
        assert answers["plan_details"] == f"Tailoring {number}"
        assert (answers["nationality"], answers["destination_country"]) == ("SN", "SN")
        assert answers["destination_city"] == "Dakar" and answers["family_count"] == 0
