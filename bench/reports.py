"""Benchmark: the reports page over a year of 100,000 counted cases (SQLite by default).

Seeds the anonymous statistics tables directly (no live cases: reports read only those),
each case with its people (a third with family members), its steps, check-ins, flags and
grant items, spread over the last 12 months; signs in as a supervisor, then times the
reports page through the real ASGI app (in-process HTTP), unfiltered and filtered by a
funder and a nationality, the CSV download, and the page just after a counted case
changed (its figures computed again: the office at work).

Usage: python bench/reports.py [--rows 100000] [--database-url postgresql+asyncpg://...]
(the PostgreSQL database must be empty)
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, update

from bench.dashboard import PASSWORD, p95, sign_in, timed
from bot.app import build
from bot.config import Settings
from bot.passwords import hash_password
from bot.store import accounts
from bot.store.reintegration_models import Project
from bot.store.statistics_models import (
    CaseStatistic,
    StatisticCheckin,
    StatisticFlag,
    StatisticGrant,
    StatisticPerson,
    StatisticStep,
)

MONTHS = [f"2025-{m:02d}" for m in (12,)] + [f"2026-{m:02d}" for m in range(1, 12)]
STATUSES = ["submitted", "in_review", "accepted", "rejected", "departed", "returned", "closed"]
COUNTRIES = ["SN", "ML", "CM", "CD", "CG", "CI", "GN", "NG"]
CITIES = ["rabat", "casablanca", "tangier", "oujda", "fes", "marrakech", "other"]
SEXES = ["female", "male", "other", "undisclosed"]
BANDS = ["0-17", "18-24", "25-34", "35-49", "50-64", "65+"]
FLAGS = ["minor", "vulnerable", "family_case", "urgent_health", "unsafe", "wants_human"]
PLANS = ["business", "family_business", "training", "job", "housing"]
CATEGORIES = ["equipment", "stock", "tools", "training"]
FUNDERS = [["EU"], ["EU", "Norway"], ["Switzerland"]]
NOW = datetime(2026, 11, 27, tzinfo=UTC)


async def seed(bot: Any, rows: int, rng: random.Random) -> None:
    store = bot.store
    async with store.unit() as unit:
        await unit.connection.execute(insert(Project.__table__), [
            {"id": n + 1, "name": f"Project {n + 1}", "funders": funders, "countries": ["SN"],
             "starts_on": date(2025, 1, 1), "ends_on": None, "capacity": 50000,
             "grant_cap_cents": 150000, "member_cap_cents": None, "currency": "USD",
             "created_by": "bench", "created_at": NOW, "updated_at": NOW}
            for n, funders in enumerate(FUNDERS)
        ])  # fmt: skip
    chunk = 5000
    for start in range(0, rows, chunk):
        cases, people, steps, checkins, flags, grants = [], [], [], [], [], []
        for n in range(start + 1, min(start + chunk, rows) + 1):
            members = rng.choice([0, 0, 1, 2])
            status = rng.choice(STATUSES)
            month = rng.choice(MONTHS)
            returned = status in ("returned", "closed")
            cases.append({
                "id": n, "requested_month": month, "nationality": rng.choice(COUNTRIES),
                "destination": rng.choice(COUNTRIES), "sex": rng.choice(SEXES),
                "age_band": rng.choice(BANDS), "city": rng.choice(CITIES), "source_id": None,
                "project_id": rng.choice([None, 1, 2, 3]), "status": status,
                "people": 1 + members, "plan_kind": rng.choice(PLANS) if returned else None,
                "grant_cap_cents": 150000 * (1 + members) if returned else None,
                "refreshed_at": NOW,
            })  # fmt: skip
            people += [{"statistic_id": n, "role": "applicant" if i == 0 else "member",
                        "sex": rng.choice([*SEXES, None]), "age_band": rng.choice(BANDS)}
                       for i in range(1 + members)]  # fmt: skip
            day = 0
            reached = ["requested"]
            if status in ("accepted", "departed", "returned", "closed"):
                reached.append("accepted")
            if status in ("departed", "returned", "closed"):
                reached.append("departed")
            if returned:
                reached.append("returned")
            for step in reached:
                day += rng.randint(1, 30) if step != "requested" else 0
                steps.append({"statistic_id": n, "step": step, "month": month, "day": day})
            if returned:
                for name, after in (("day_7", 7), ("month_3", 90), ("month_6", 180)):
                    answered = rng.random() < 0.6
                    score = rng.random() if answered else None
                    checkins.append({
                        "statistic_id": n, "checkin": name,
                        "status": "answered" if answered else rng.choice(["no_reply", "due"]),
                        "day": day + after + rng.randint(0, 5) if answered else None,
                        "economic": score, "social": score, "psychosocial": score,
                        "composite": score,
                    })  # fmt: skip
                for category in rng.sample(CATEGORIES, 2):
                    grants.append({"statistic_id": n, "category": category,
                                   "planned_cents": 50000, "approved_cents": 40000,
                                   "delivered_cents": rng.choice([0, 40000])})  # fmt: skip
            flags += [{"statistic_id": n, "flag": flag, "acknowledged": rng.random() < 0.5}
                      for flag in rng.sample(FLAGS, rng.choice([0, 0, 1, 2]))]  # fmt: skip
        async with store.unit() as unit:
            for model, values in ((CaseStatistic, cases), (StatisticPerson, people),
                                  (StatisticStep, steps), (StatisticCheckin, checkins),
                                  (StatisticFlag, flags), (StatisticGrant, grants)):  # fmt: skip
                if values:
                    await unit.connection.execute(insert(model.__table__), values)


async def main(rows: int, seed_value: int, database_url: str | None) -> dict[str, Any]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), telegram_bot_token=None,  # type: ignore[call-arg]
                            database_url=database_url)  # fmt: skip
        bot = await build(settings, clock=lambda: NOW)
        began = time.perf_counter()
        async with bot.store.unit() as unit:
            await accounts.add_account(unit, "chief", hash_password(PASSWORD), "supervisor",
                                       "en", NOW)  # fmt: skip
        await seed(bot, rows, rng)
        print(f"seeded {rows} counted cases in {time.perf_counter() - began:.1f} s",
              file=sys.stderr)  # fmt: skip
        if database_url is not None:  # what autovacuum does soon after such a load
            import asyncpg  # PostgreSQL only

            connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
            await connection.execute("VACUUM ANALYZE")
            await connection.close()
        transport = httpx.ASGITransport(app=bot.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await sign_in(client, "chief")
            await timed(client, "/reports", 3)  # warm up caches
            page = await timed(client, "/reports", 40)
            filtered = await timed(client, "/reports?funder=EU&nationality=SN", 20)
            download = await timed(client, "/reports.csv", 10)
            fresh = []  # a counted case changed before each: every figure computed again
            for n in range(10):
                async with bot.store.unit() as unit:
                    await unit.connection.execute(
                        update(CaseStatistic.__table__)
                        .where(CaseStatistic.__table__.c.id == n + 1)
                        .values(refreshed_at=NOW + timedelta(seconds=n + 1))
                    )
                fresh += await timed(client, "/reports", 1)
        await bot.stop()
    return {
        "rows": rows,
        "reports_p50_ms": round(statistics.median(page) * 1000, 1),
        "reports_p95_ms": round(p95(page) * 1000, 1),
        "filtered_p95_ms": round(p95(filtered) * 1000, 1),
        "csv_p95_ms": round(p95(download) * 1000, 1),
        "changed_p50_ms": round(statistics.median(fresh) * 1000, 1),
        "changed_p95_ms": round(p95(fresh) * 1000, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.seed, args.database_url))))
