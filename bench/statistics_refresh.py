"""Benchmark: refreshing the anonymous statistics of cases.

Seeds `--cases` cases (each with two family members, two flags, two status changes in
the audit log, three check-ins and three grant items), then times:
- one_case_ms: a unit that touches one case, refresh and commit included (median of 50);
- thousand_cases_ms: `statistics.refresh` of 1,000 cases in one unit (median of 5);
- rebuild_s: `statistics.rebuild` of every case, 1,000 per transaction;
- purge_1000_s: the retention purge of 1,000 closed cases, refreshed before they go.

Usage: python bench/statistics_refresh.py [--cases 10000] [--database-url postgresql+asyncpg://...]
(the PostgreSQL database must be empty)
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics as stats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bot.store import Store, retention, statistics
from bot.store.models import Base
from bot.store.tables import (
    audit_events,
    case_members,
    flags,
    followups,
    people,
    pre_registrations,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
COUNTRIES = ["SN", "ML", "CM", "CD", "CG", "CI", "GN", "NG"]
grant_items = Base.metadata.tables["grant_items"]


async def fill(store: Store, count: int) -> None:
    """The cases and what hangs on them, written in batches of 1,000."""
    for start in range(1, count + 1, 1000):
        ids = range(start, min(start + 1000, count + 1))
        async with store.unit() as unit:
            run = unit.connection.execute
            await run(insert(people), [
                {"id": n, "telegram_id": 10**9 + n, "language": "fr", "created_at": NOW,
                 "updated_at": NOW} for n in ids])  # fmt: skip
            await run(insert(pre_registrations), [
                {"id": n, "reference": f"AVR-2026-{n:07d}", "person_id": n,
                 "status": "accepted", "language": "fr", "flow_version": "1",
                 "answers": {"sex": "female", "destination_country": COUNTRIES[n % 8]},
                 "answered_at": {}, "nationality": COUNTRIES[n % 8], "current_city": "rabat",
                 "date_of_birth": f"{1960 + n % 45}-01-01", "status_changed_at": NOW,
                 "created_at": NOW - timedelta(days=n % 300), "updated_at": NOW}
                for n in ids])  # fmt: skip
            await run(insert(case_members), [
                {"pre_registration_id": n, "position": p, "name": "x", "date_of_birth": "2015",
                 "vulnerabilities": [], "updated_at": NOW} for n in ids for p in (0, 1)])  # fmt: skip
            await run(insert(flags), [
                {"pre_registration_id": n, "flag": f} for n in ids
                for f in ("family_case", "vulnerable")])  # fmt: skip
            await run(insert(audit_events), [
                {"at": NOW, "actor": "bench", "action": "case.status_changed",
                 "pre_registration_id": n, "details": {"to_status": s}}
                for n in ids for s in ("in_review", "accepted")])  # fmt: skip
            await run(insert(followups), [
                {"pre_registration_id": n, "checkin": c, "status": "planned",
                 "planned_for": NOW, "due_at": NOW, "attempts": 0, "reminders": 0,
                 "answers": {}, "flags": [], "updated_at": NOW}
                for n in ids for c in ("day_7", "month_1", "month_3")])  # fmt: skip
            await run(insert(grant_items), [
                {"pre_registration_id": n, "description": "x", "category": c, "quantity": 1,
                 "unit_cost_cents": 10000, "currency": "USD", "usd_rate": "1",
                 "amount_usd_cents": 10000, "status": st, "created_by": "bench",
                 "created_at": NOW, "updated_at": NOW}
                for n in ids for c, st in (("equipment", "approved"), ("stock", "planned"),
                                           ("tools", "delivered"))])  # fmt: skip


async def measure(url: str, count: int) -> dict[str, Any]:
    store = Store(url)
    await store.upgrade()
    await fill(store, count)
    singles = []
    for n in range(1, 51):
        began = time.perf_counter()
        async with store.unit() as unit:
            unit.touch(n)
        singles.append((time.perf_counter() - began) * 1000)
    batches = []
    for start in range(1, 5001, 1000):
        began = time.perf_counter()
        async with store.unit() as unit:
            assert await statistics.refresh(unit, range(start, start + 1000)) == 1000
        batches.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    assert await statistics.rebuild(store) == count
    rebuild = time.perf_counter() - began
    async with store.unit() as unit:
        await unit.connection.execute(
            update(pre_registrations)
            .where(pre_registrations.c.id <= 1000)
            .values(status="closed", status_changed_at=NOW - timedelta(days=400))
        )
    began = time.perf_counter()
    async with store.unit() as unit:
        erased = await retention.erase_expired(unit, NOW - timedelta(days=365), NOW)
    purge = time.perf_counter() - began
    assert erased[0] == 1000
    await store.close()
    return {
        "cases": count,
        "database": store.dialect,
        "one_case_ms": round(stats.median(singles), 2),
        "thousand_cases_ms": round(stats.median(batches), 1),
        "rebuild_s": round(rebuild, 2),
        "purge_1000_s": round(purge, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        result = asyncio.run(measure(url, args.cases))
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
