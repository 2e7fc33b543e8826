"""Benchmark: the dashboard on 100,000 pre-registrations (SQLite).

Seeds the cases, given out among 20 caseworkers (a tenth unassigned), with a few red flags,
messages from the person and appointments, the audit of their status changes, family
members, projects, and for the returned cases answered check-ins with their scores and
reintegration plans with grant items; signs in, then times the queue page through the real
ASGI app (in-process HTTP), unfiltered and with a filter plus a search, a caseworker's inbox
(their own cases, the default), the supervisors' workload table, and a full CSV export with
every column (its wall and CPU time), then its peak extra memory (tracemalloc) in a second
run, since tracing allocations slows it down.

Usage: python bench/dashboard.py [--rows 100000] [--database-url postgresql+asyncpg://...]
(the PostgreSQL database must be empty)
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
from typing import Any

import httpx
from sqlalchemy import insert

from bot.app import build
from bot.config import Settings
from bot.engine import Kind
from bot.engine.checkins import Followups
from bot.passwords import hash_password
from bot.store import accounts
from bot.store import statistics as figures
from bot.store.models import Base
from bot.store.tables import (
    appointments,
    audit_events,
    case_members,
    case_messages,
    flags,
    followups,
    people,
    pre_registrations,
)

STATUSES = ["submitted", "in_review", "needs_info", "accepted", "rejected", "departed", "returned"]
# The moves that led to each status, as the audit records them.
PATHS = {
    "submitted": [],
    "in_review": ["in_review"],
    "needs_info": ["in_review", "needs_info"],
    "accepted": ["in_review", "accepted"],
    "rejected": ["in_review", "rejected"],
    "departed": ["in_review", "accepted", "travel_booked", "departed"],
    "returned": ["in_review", "accepted", "travel_booked", "departed", "returned"],
}
PLAN_KINDS = ["business", "family_business", "training", "job", "housing"]
GRANT_STATUSES = ["planned", "approved", "delivered"]
FLAGS = ["minor", "vulnerable", "family_case", "needs_travel_document", "refugee_or_asylum"]
NAMES = ["Awa", "Moussa", "Fatou", "Jean", "Grace", "Ibrahim", "Aminata", "Paul", "Mariam"]
FAMILY = ["Diallo", "Traore", "Mbeki", "Kone", "Ndiaye", "Okafor", "Camara", "Sow", "Ba"]
COUNTRIES = ["SN", "ML", "CM", "CD", "CG", "CI", "GN", "NG"]
CITIES = ["rabat", "casablanca", "tangier", "oujda", "fes", "marrakech"]
RED = ["urgent_health", "unsafe", "wants_human", "unaccompanied_minor"]
CASEWORKERS = 20
PASSWORD = "bench password"


async def add_team(bot: object) -> None:
    """The caseworkers (ids 1 to 20, the first one signs in) and a supervisor."""
    store = bot.store  # type: ignore[attr-defined]
    digest = hash_password(PASSWORD)
    now = datetime.now(UTC)
    async with store.unit() as unit:
        for n in range(CASEWORKERS):
            name = "bench" if n == 0 else f"caseworker{n}"
            await accounts.add_account(unit, name, digest, "caseworker", "en", now)
        await accounts.add_account(unit, "chief", digest, "supervisor", "en", now)


async def add_projects(bot: object) -> None:
    """Two funded projects (ids 1 and 2), one capping each family member too."""
    store = bot.store  # type: ignore[attr-defined]
    now = datetime(2026, 11, 27, tzinfo=UTC)
    projects = Base.metadata.tables["projects"]
    async with store.unit() as unit:
        await unit.connection.execute(
            insert(projects),
            [
                {"id": 1, "name": "Pilot", "funders": ["A"], "countries": COUNTRIES,
                 "starts_on": now.date(), "ends_on": None, "capacity": 150,
                 "grant_cap_cents": 60_000, "member_cap_cents": None, "currency": "USD",
                 "created_by": "bench", "created_at": now, "updated_at": now},
                {"id": 2, "name": "General return", "funders": ["B", "C"],
                 "countries": COUNTRIES, "starts_on": now.date(), "ends_on": None,
                 "capacity": 660, "grant_cap_cents": 50_000, "member_cap_cents": 20_000,
                 "currency": "USD", "created_by": "bench", "created_at": now,
                 "updated_at": now},
            ],
        )  # fmt: skip


def answer(step: object, rng: random.Random) -> object:
    """Any valid answer to a check-in's question."""
    kind = step.kind  # type: ignore[attr-defined]
    if kind is Kind.YESNO:
        return rng.random() < 0.7
    if kind is Kind.CHOICE:
        return rng.choice(step.options).value  # type: ignore[attr-defined]
    if kind is Kind.MULTI:
        return [rng.choice(step.options).value]  # type: ignore[attr-defined]
    if kind is Kind.NUMBER:
        return rng.randint(step.min or 0, step.max or 5)  # type: ignore[attr-defined]
    return "Fine"


def reintegration(
    cases: list[dict[str, Any]], definitions: Followups, now: datetime, rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    """The audit of each case's moves, family members, and for the returned: check-ins
    answered with their scores, a plan for most, and its grant items."""
    made: dict[str, list[dict[str, Any]]] = {
        "audit": [], "members": [], "checkins": [], "plans": [], "grants": []
    }  # fmt: skip
    for c in cases:
        at = c["created_at"]
        previous = "submitted"
        for status in PATHS[c["status"]]:
            at += timedelta(days=rng.randint(1, 20))
            made["audit"].append({
                "at": at, "actor": "bench", "action": "case.status_changed",
                "person_id": c["person_id"], "pre_registration_id": c["id"],
                "details": {"from_status": previous, "to_status": status},
            })  # fmt: skip
            previous = status
        if rng.random() < 0.1:  # a family case
            for position in range(rng.randint(1, 3)):
                made["members"].append({
                    "pre_registration_id": c["id"], "position": position,
                    "name": f"{rng.choice(NAMES)} {rng.choice(FAMILY)}",
                    "relationship": "child", "date_of_birth": "2015-05-01",
                    "travel_document": "none", "fitness": "fit", "vulnerabilities": [],
                    "updated_by": None, "updated_at": now,
                })  # fmt: skip
        if c["status"] != "returned":
            continue
        for checkin in definitions.checkins[: rng.randint(0, len(definitions.checkins))]:
            made["checkins"].append({
                "pre_registration_id": c["id"], "checkin": checkin.id, "status": "answered",
                "planned_for": at, "due_at": at, "claimed_until": None, "attempts": 1,
                "reminders": 0, "sent_at": at, "answered_at": at,
                "answers": {s.id: answer(s, rng) for s in checkin.flow.steps
                            if s.kind is not Kind.INFO},
                "flags": [], "reason": None, "score_economic": rng.random(),
                "score_social": rng.random(), "score_psychosocial": rng.random(),
                "score_composite": rng.random(), "updated_at": at,
            })  # fmt: skip
        if rng.random() < 0.8:
            made["plans"].append({
                "pre_registration_id": c["id"], "kind": rng.choice(PLAN_KINDS),
                "description": "A shop", "partner": "", "agreed_on": None,
                "updated_by": "bench", "updated_at": now,
            })  # fmt: skip
            for _ in range(rng.randint(1, 4)):
                cents = rng.randint(20, 200) * 100
                made["grants"].append({
                    "pre_registration_id": c["id"], "member_id": None, "description": "Tools",
                    "category": "tools", "vendor": "", "quantity": 1, "unit_cost_cents": cents,
                    "currency": "USD", "usd_rate": "1", "amount_usd_cents": cents,
                    "status": rng.choice(GRANT_STATUSES), "approved_at": None,
                    "approved_by": None, "override_note": None, "delivered_on": None,
                    "proof": None, "created_by": "bench", "created_at": now, "updated_at": now,
                })  # fmt: skip
    return made


async def seed(bot: object, rows: int, rng: random.Random) -> None:
    store = bot.store  # type: ignore[attr-defined]
    definitions: Followups = bot.followups  # type: ignore[attr-defined]
    now = datetime(2026, 11, 27, tzinfo=UTC)
    tables = Base.metadata.tables
    await add_projects(bot)
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
                    "assigned_to": None if n % 10 == 0 else n % CASEWORKERS + 1,
                    "project_id": rng.choice([None, None, 1, 2]),
                    "created_at": now - timedelta(minutes=n), "updated_at": now,
                })  # fmt: skip
            for c in cases:
                back = now - timedelta(days=rng.randint(10, 400))
                c["return_date"] = back.date() if c["status"] == "returned" else None
            await unit.connection.execute(insert(pre_registrations), cases)
            made = reintegration(cases, definitions, now, rng)
            for table, name in (
                (audit_events, "audit"), (case_members, "members"), (followups, "checkins"),
                (tables["reintegration_plans"], "plans"), (tables["grant_items"], "grants"),
            ):  # fmt: skip
                if made[name]:
                    await unit.connection.execute(insert(table), made[name])
            tags = [
                {"pre_registration_id": c["id"], "flag": flag}
                for c in cases
                for flag in rng.sample(FLAGS, rng.choice([0, 0, 1, 2]))
            ]
            tags += [
                {"pre_registration_id": c["id"], "flag": rng.choice(RED)}
                for c in cases
                if rng.random() < 0.01
            ]
            if tags:
                await unit.connection.execute(insert(flags), tags)
            written = [  # a twentieth of the people wrote; half of that is still unread
                {"pre_registration_id": c["id"], "direction": "in", "author": None,
                 "body": "Hello", "delivered": True, "created_at": now,
                 "read_at": None if rng.random() < 0.5 else now}
                for c in cases
                if rng.random() < 0.05
            ]  # fmt: skip
            if written:
                await unit.connection.execute(insert(case_messages), written)
            booked = [  # a fiftieth have an interview, from three days ago to three ahead
                {"pre_registration_id": c["id"], "kind": "interview",
                 "starts_at": now + timedelta(hours=rng.randint(-72, 72)), "status": "booked",
                 "revision": 1, "proposals": [], "remind_at": None, "reminded_at": None,
                 "booked_by": "bench", "created_at": now, "updated_at": now}
                for c in cases
                if rng.random() < 0.02
            ]  # fmt: skip
            if booked:
                await unit.connection.execute(insert(appointments), booked)


async def timed(client: httpx.AsyncClient, url: str, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        response = await client.get(url)
        samples.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return samples


async def download(client: httpx.AsyncClient, form: dict[str, str]) -> int:
    """The full CSV export, read to its end; its size."""
    size = 0
    async with client.stream("POST", "/export.csv", data=form) as response:
        assert response.status_code == 200, response.status_code
        async for chunk in response.aiter_bytes():
            size += len(chunk)
    return size


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    login = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )


async def main(rows: int, seed_value: int, database_url: str | None) -> dict[str, Any]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), telegram_bot_token=None,  # type: ignore[call-arg]
                            database_url=database_url)  # fmt: skip
        bot = await build(settings)
        began = time.perf_counter()
        await add_team(bot)
        await seed(bot, rows, rng)
        print(f"seeded {rows} cases in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        began = time.perf_counter()  # the rows were written directly: their statistics too
        await figures.rebuild(bot.store)
        rebuild_s = time.perf_counter() - began
        print(f"statistics of {rows} cases in {rebuild_s:.1f} s", file=sys.stderr)
        if database_url is not None:  # what autovacuum does soon after such a load
            import asyncpg  # PostgreSQL only

            connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
            await connection.execute("VACUUM ANALYZE")
            await connection.close()
        transport = httpx.ASGITransport(app=bot.web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await sign_in(client, "bench")
            await timed(client, "/", 3)  # warm up caches
            queue = await timed(client, "/", 40)
            filtered = await timed(
                client, "/?status=in_review&flag=vulnerable&nationality=SN&q=diallo", 40
            )
            await timed(client, "/inbox", 3)
            inbox = await timed(client, "/inbox", 40)  # the caseworker's own cases
            inbox_all = await timed(client, "/inbox?scope=all", 20)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as chief:
                await sign_in(chief, "chief")
                await timed(chief, "/workload", 3)
                workload = await timed(chief, "/workload", 40)
                # The Reports page over the last twelve months: as most readers find it
                # (figures kept since the last change of a counted case), and just after a
                # case changed (every figure read again from the statistics).
                reports_first = (await timed(chief, "/reports", 1))[0]
                reports = await timed(chief, "/reports", 40)
                reports_changed = []
                for case_id in range(1, 11):
                    async with bot.store.unit() as unit:
                        unit.touch(case_id)
                    reports_changed += await timed(chief, "/reports", 1)
            page = await client.get("/")  # a new sign-in has a new CSRF token
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            form = {"csrf_token": token.group(1)}
            began, cpu = time.perf_counter(), time.process_time()
            size = await download(client, form)
            export_s, export_cpu = time.perf_counter() - began, time.process_time() - cpu
            # Its peak memory apart: tracing every allocation slows the export down.
            tracemalloc.start()
            await download(client, form)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"export: {size / 1e6:.1f} MB of CSV", file=sys.stderr)
        await bot.stop()
    return {
        "rows": rows,
        "queue_p50_ms": round(statistics.median(queue) * 1000, 1),
        "queue_p95_ms": round(p95(queue) * 1000, 1),
        "filtered_p95_ms": round(p95(filtered) * 1000, 1),
        "inbox_p95_ms": round(p95(inbox) * 1000, 1),
        "inbox_all_p95_ms": round(p95(inbox_all) * 1000, 1),
        "workload_p95_ms": round(p95(workload) * 1000, 1),
        "statistics_rebuild_s": round(rebuild_s, 1),
        "reports_first_ms": round(reports_first * 1000, 1),
        "reports_p95_ms": round(p95(reports) * 1000, 1),
        "reports_changed_p95_ms": round(p95(reports_changed) * 1000, 1),
        "export_s": round(export_s, 2),
        "export_cpu_s": round(export_cpu, 2),  # the process's own: other work may share the CPU
        "export_peak_mb": round(peak / 1e6, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.seed, args.database_url))))
