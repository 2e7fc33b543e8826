"""Benchmark: the dashboard on 100,000 pre-registrations (SQLite).

Seeds the cases, signs in, then times the queue page through the real ASGI app
(in-process HTTP), unfiltered and with a filter plus a search, and a full CSV export with
its peak extra memory (tracemalloc).

Usage: python bench/dashboard.py [--rows 100000]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bot.app import build
from bot.config import Settings
from bot.passwords import hash_password
from bot.store import accounts
from bot.store.tables import flags, people, pre_registrations

STATUSES = ["submitted", "in_review", "needs_info", "accepted", "rejected", "departed"]
FLAGS = ["minor", "vulnerable", "family_case", "needs_travel_document", "refugee_or_asylum"]
NAMES = ["Awa", "Moussa", "Fatou", "Jean", "Grace", "Ibrahim", "Aminata", "Paul", "Mariam"]
FAMILY = ["Diallo", "Traore", "Mbeki", "Kone", "Ndiaye", "Okafor", "Camara", "Sow", "Ba"]
COUNTRIES = ["SN", "ML", "CM", "CD", "CG", "CI", "GN", "NG"]
CITIES = ["rabat", "casablanca", "tangier", "oujda", "fes", "marrakech"]


async def seed(bot: object, rows: int, rng: random.Random) -> None:
    store = bot.store  # type: ignore[attr-defined]
    now = datetime(2026, 11, 27, tzinfo=UTC)
    chunk = 5000
    for start in range(0, rows, chunk):
        count = min(chunk, rows - start)
        async with store.unit() as unit:
            await unit.connection.execute(
                insert(people),
                [
                    {"id": start + i + 1, "telegram_id": 10**9 + start + i, "language": "fr",
                     "created_at": now, "updated_at": now}
                    for i in range(count)
                ],
            )  # fmt: skip
            cases = []
            for i in range(count):
                n = start + i + 1
                name = f"{rng.choice(NAMES)} {rng.choice(FAMILY)}"
                answers = {
                    "full_name": name, "sex": "female", "date_of_birth": "1990-01-01",
                    "nationality": rng.choice(COUNTRIES), "phone": f"+2126{n:08d}",
                    "current_city": rng.choice(CITIES), "destination_city": "Dakar",
                    "family_count": 0, "plan_details": "A shop",
                }  # fmt: skip
                cases.append({
                    "id": n, "reference": f"AVR-2026-{n:06d}", "person_id": n,
                    "status": rng.choice(STATUSES), "language": "fr", "flow_version": "1",
                    "answers": answers, "answered_at": {}, "full_name": name,
                    "name_key": name.lower(), "date_of_birth": "1990-01-01",
                    "phone": answers["phone"], "nationality": answers["nationality"],
                    "current_city": answers["current_city"],
                    "created_at": now - timedelta(minutes=n), "updated_at": now,
                })  # fmt: skip
            await unit.connection.execute(insert(pre_registrations), cases)
            tags = [
                {"pre_registration_id": c["id"], "flag": flag}
                for c in cases
                for flag in rng.sample(FLAGS, rng.choice([0, 0, 1, 2]))
            ]
            if tags:
                await unit.connection.execute(insert(flags), tags)


async def timed(client: httpx.AsyncClient, url: str, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        response = await client.get(url)
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return samples


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


async def main(rows: int, seed_value: int) -> dict[str, float]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), telegram_bot_token=None)  # type: ignore[call-arg]
        bot = await build(settings)
        began = time.perf_counter()
        await seed(bot, rows, rng)
        print(f"seeded {rows} cases in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        async with bot.store.unit() as unit:
            await accounts.add_account(
                unit, "bench", hash_password("bench password"), "caseworker", "en",
                datetime.now(UTC),
            )  # fmt: skip
        transport = httpx.ASGITransport(app=bot.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
            assert token is not None
            await client.post(
                "/login",
                data={"username": "bench", "password": "bench password",
                      "csrf_token": token.group(1)},
            )  # fmt: skip
            await timed(client, "/", 3)  # warm up caches
            queue = await timed(client, "/", 40)
            filtered = await timed(
                client, "/?status=in_review&flag=vulnerable&nationality=SN&q=diallo", 40
            )
            page = await client.get("/")  # a new sign-in has a new CSRF token
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            tracemalloc.start()
            began = time.perf_counter()
            size = 0
            form = {"csrf_token": token.group(1)}
            async with client.stream("POST", "/export.csv", data=form) as response:
                assert response.status_code == 200, response.status_code
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            export_s = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"export: {size / 1e6:.1f} MB of CSV", file=sys.stderr)
        await bot.stop()
    return {
        "rows": rows,
        "queue_p50_ms": round(statistics.median(queue) * 1000, 1),
        "queue_p95_ms": round(p95(queue) * 1000, 1),
        "filtered_p95_ms": round(p95(filtered) * 1000, 1),
        "export_s": round(export_s, 2),
        "export_peak_mb": round(peak / 1e6, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.seed))))
