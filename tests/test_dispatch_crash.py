"""A dispatcher killed (SIGKILL) in the middle of a batch, then restarted: no check-in is
lost, none is sent twice. The dispatcher is `intake-bot followups send-now` in a real
process, sending over real HTTP to the local Bot API."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot.app import build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store.models import Followup, PreRegistration
from tests.helpers import Clock, add_case, wait_for

ROWS = 300
TOKEN = "123456:crash-test-token"


def daytime_zone(now: datetime) -> str:
    """A fixed-offset zone where it is now early afternoon: never the quiet hours."""
    offset = (13 - now.hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3


async def test_a_killed_dispatcher_loses_nothing_and_sends_nothing_twice(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    api, base_url = local_telegram
    now = datetime.now(UTC)
    settings = Settings(_env_file=None, data_dir=tmp_path, telegram_bot_token=None)  # type: ignore[call-arg]
    clock = Clock(now)
    bot = await build(settings, offline=api, clock=clock)
    zone = daytime_zone(now)
    for n in range(ROWS):
        reference = await add_case(bot, 10_000 + n, followup_consent=True)
        async with bot.store.unit() as unit:
            table = PreRegistration.__table__
            result = await unit.connection.execute(
                update(table).where(table.c.reference == reference)
                .values(status="returned", return_date=now.date(), time_zone=zone)
                .returning(table.c.id)
            )  # fmt: skip
            case_id = result.scalar_one()
            await unit.connection.execute(
                insert(Followup.__table__).values(
                    pre_registration_id=case_id, checkin="day_7", status="planned",
                    planned_for=now, due_at=now - timedelta(minutes=1), attempts=0,
                    reminders=0, answers={}, flags=[], updated_at=now,
                )
            )  # fmt: skip
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "INTAKE_DATA_DIR": str(tmp_path),
        "INTAKE_MESSAGES_PER_SECOND": "100000",
        "INTAKE_DISPATCH_LEASE_SECONDS": "2",  # a batch of 100 takes well under a second
    }
    env.pop("DATABASE_URL", None)
    api.latency = 0.004  # a few milliseconds per call, as on a network

    def sent() -> int:
        return sum(1 for c in api.calls if c[0] == "sendMessage")

    async def send_now() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "followups", "send-now",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    first = await send_now()
    await wait_for(lambda: sent() >= 130, seconds=60)  # into the second batch of 100
    first.kill()
    await first.wait()
    killed_at = sent()
    assert killed_at < ROWS, "the dispatcher finished before it could be killed"
    await asyncio.sleep(2.5)  # the dead dispatcher's leases lapse

    second = await send_now()
    out, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 0, err.decode()[-3000:]
    question = bot.catalogs.translator("fr").gettext(
        "Hello, this is {office}. You returned home a week ago, and we would like to know "
        "how you are. Did you arrive safely?",
        office="IOM",
    )
    firsts = Counter(m.chat_id for c in api.chats.values() for m in c if m.text == question)
    assert max(firsts.values()) == 1  # nobody got the check-in twice
    missing = [10_000 + n for n in range(ROWS) if firsts[10_000 + n] == 0]
    assert len(missing) <= 1  # at most the one in flight when the process died...

    clock.now = datetime.now(UTC) + timedelta(hours=48, minutes=1)
    report = await bot.dispatcher.run_once()  # ...which the reminder asks again
    assert report.outcomes["reminded"] == ROWS
    for chat in (10_000 + n for n in range(ROWS)):
        texts = [m.text for m in api.messages(chat)]
        assert sum(question in t for t in texts) == (2 if chat not in missing else 1), texts
    await bot.stop()
    assert "recovered" in out.decode()
