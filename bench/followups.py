"""Benchmark: the check-in dispatcher on a large embedded database.

1. Fill a fresh SQLite database with 200,000 returned cases and their 1,000,000 planned
   check-ins (five each); the first check-in of 100,000 of them is due now, the rest later.
2. claim_batch_ms: the time one dispatcher takes to claim a batch of 100 due rows
   (median of 50 claims, each released again).
3. sends_per_s: the real dispatcher (claim, open the check-in conversation, render, send
   through PTB over the in-process Bot API, mark sent) on `--sends` due rows, with the
   rate limiter off.
4. throttled_max_per_s: the same with PTB's AIORateLimiter on (30 messages/s), for
   `--throttled-seconds`; the most sendMessage calls seen in any one-second window.

Usage: python bench/followups.py [--planned 1000000] [--due 100000] [--sends 20000]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # noon in Dakar: no quiet hours
CHECKINS = ("day_7", "month_1", "month_3", "month_6", "month_12")


def fill(path: Path, planned: int, due: int) -> None:
    """Cases and check-ins written straight into SQLite, in big transactions."""
    cases = planned // len(CHECKINS)
    stamp = sqlite_time(NOW)
    answers = json.dumps({"destination_country": "SN", "followup_consent": True})
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    with db:
        db.executemany(
            "INSERT INTO people (id, telegram_id, language, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((n, 10**9 + n, "fr" if n % 2 else "en", stamp, stamp) for n in range(1, cases + 1)),
        )
        db.executemany(
            "INSERT INTO pre_registrations (id, reference, person_id, status, language, "
            "flow_version, answers, answered_at, return_date, status_changed_at, created_at, "
            "updated_at) VALUES (?, ?, ?, 'returned', 'fr', '1', ?, '{}', '2026-11-20', ?, ?, ?)",
            ((n, f"AVR-2026-{n:07d}", n, answers, stamp, stamp, stamp)
             for n in range(1, cases + 1)),
        )  # fmt: skip

        def followup_rows() -> Any:
            """The first check-in of the first `due` cases is due: one per person."""
            for case in range(1, cases + 1):
                for checkin in CHECKINS:
                    now_due = case <= due and checkin == CHECKINS[0]
                    at = NOW - timedelta(minutes=1) if now_due else NOW + timedelta(days=30)
                    yield (case, checkin, sqlite_time(at), sqlite_time(at), stamp)

        db.executemany(
            "INSERT INTO followups (pre_registration_id, checkin, status, planned_for, due_at, "
            "attempts, reminders, answers, flags, updated_at) "
            "VALUES (?, ?, 'planned', ?, ?, 0, 0, '{}', '[]', ?)",
            followup_rows(),
        )
    db.close()


def sqlite_time(at: datetime) -> str:
    """As SQLAlchemy stores a UTC datetime in SQLite: text that sorts in time order."""
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


async def claim_times(bot: Any, claims: int) -> list[float]:
    times = []
    for _ in range(claims):
        began = time.perf_counter()
        async with bot.store.unit() as unit:
            claimed = await claims.claim(unit, NOW, NOW + timedelta(minutes=5), 100)
        times.append((time.perf_counter() - began) * 1000)
        assert len(claimed) == 100
        async with bot.store.unit() as unit:
            for row in claimed:
                await claims.release(unit, row.followup.id, row.followup.due_at, NOW)
    return times


async def dispatch(bot: Any, api: OfflineBotAPI, sends: int) -> float:
    """Seconds the real dispatcher takes to send `sends` check-ins."""
    dispatcher = bot.dispatcher
    began = time.perf_counter()
    done = 0
    while done < sends:
        dispatcher.batch = min(100, sends - done)
        report = await dispatcher.run_once(batches=1)
        if report.outcomes["sent"] != sum(report.outcomes.values()):
            raise RuntimeError(f"not only sends: {report}")
        done += report.outcomes["sent"]
    return time.perf_counter() - began


async def main(planned: int, due: int, sends: int, throttled_seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        settings = Settings(_env_file=None, data_dir=data, telegram_bot_token=None)  # type: ignore[call-arg]
        api = OfflineBotAPI(record_calls=False, history=2)
        bot = await build(settings, offline=api, clock=lambda: NOW)
        await bot.stop()
        began = time.perf_counter()
        fill(data / "intake.db", planned, due)
        print(f"filled {planned} check-ins ({due} due) in {time.perf_counter() - began:.1f} s")

        bot = await build(settings, offline=api, clock=lambda: NOW, migrate=False)
        await bot.application.initialize()
        claims = await claim_times(bot, 50)
        claim_ms = statistics.median(claims)
        print(f"claim a batch of 100: median {claim_ms:.2f} ms, max {max(claims):.2f} ms")

        seconds = await dispatch(bot, api, sends)
        sends_per_s = sends / seconds
        print(f"dispatch, rate limiter off: {sends} check-ins in {seconds:.2f} s")
        await bot.stop()

        limited = await build(settings, offline=api, clock=lambda: NOW, migrate=False,
                              rate_limited=True)  # fmt: skip
        await limited.application.initialize()
        stamps: list[float] = []
        api.listeners.append(lambda kind, message: stamps.append(time.perf_counter()))
        began = time.perf_counter()
        while time.perf_counter() - began < throttled_seconds:
            limited.dispatcher.batch = 10
            await limited.dispatcher.run_once(batches=1)
        await limited.stop()
        per_second = max_in_window(stamps, 1.0)
        print(f"dispatch, rate limiter on: {len(stamps)} sends in {throttled_seconds:.0f} s, "
              f"at most {per_second} in any one second")  # fmt: skip
    return {
        "planned": planned,
        "due": due,
        "claim_batch_ms": round(claim_ms, 2),
        "sends_per_s": round(sends_per_s, 1),
        "throttled_max_per_s": per_second,
    }


def max_in_window(stamps: list[float], window: float) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--planned", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--sends", type=int, default=20_000)
    parser.add_argument("--throttled-seconds", type=float, default=10)
    args = parser.parse_args()
    result = asyncio.run(main(args.planned, args.due, args.sends, args.throttled_seconds))
    print(json.dumps(result))
    sys.exit(0)
