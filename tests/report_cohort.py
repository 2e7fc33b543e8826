"""A known cohort written straight into the anonymous statistics tables, for the reports.

Default period (the clock's 2026-11-27: December 2025 to November 2026):
- A: 6 returned cases from Senegal (2026-09, Rabat, women 25-34), project "Sahel" (EU);
  the first three with one family member each (a man, a woman, sex not known): 9 people.
- B: 2 accepted cases from Mali (2026-10, Casablanca, men), project "Niger" (EU, Norway).
- E: 3 submitted cases from Senegal (2026-11), came by the outreach source "Caritas".
- C: 1 duplicate case from Senegal (2026-09): never counted.
Outside it: D, 5 submitted cases from Cameroon (2025-06).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from bot.store import Unit, sources
from bot.store.reintegration_models import Project
from bot.store.statistics_models import (
    CaseStatistic,
    StatisticCheckin,
    StatisticFlag,
    StatisticGrant,
    StatisticPerson,
    StatisticStep,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ACCEPTED = [2, 4, 6, 8, 10, 12]  # A's days from request to acceptance
DEPARTED = [12, 14, 16, 18, 30, 52]  # A's departures: gaps 10, 10, 10, 10, 20, 40
MONTH_3 = [90, 90, 91, 92, 95]  # days from return to the 3-month answer, A's first five
ECONOMIC = [0.2, 0.4, 0.6, 0.8, 1.0]


async def _project(unit: Unit, name: str, funders: list[str], countries: list[str]) -> int:
    result = await unit.connection.execute(
        insert(Project.__table__)
        .values(name=name, funders=funders, countries=countries, starts_on=date(2026, 1, 1),
                ends_on=None, capacity=100, grant_cap_cents=150000, member_cap_cents=None,
                currency="USD", created_by="test", created_at=NOW, updated_at=NOW)
        .returning(Project.__table__.c.id)
    )  # fmt: skip
    return int(result.scalar_one())


async def add_statistic(unit: Unit, *, month: str, status: str, nationality: str,
                        members: tuple[str | None, ...] = (), sex: str = "female",
                        steps: dict[str, int] | None = None,
                        checkins: dict[str, tuple[str, int | None, float | None]] | None = None,
                        flags: dict[str, bool] | None = None,
                        grants: dict[str, tuple[int, int, int]] | None = None,
                        **columns: Any) -> int:  # fmt: skip
    """One counted case and its children; `checkins` name -> (status, day, economic)."""
    values = {"requested_month": month, "status": status, "nationality": nationality,
              "sex": sex, "age_band": "25-34", "people": 1 + len(members),
              "refreshed_at": NOW, **columns}  # fmt: skip
    result = await unit.connection.execute(
        insert(CaseStatistic.__table__).values(**values).returning(CaseStatistic.__table__.c.id)
    )
    sid = int(result.scalar_one())
    people = [{"statistic_id": sid, "role": "applicant", "sex": sex, "age_band": "25-34"}]
    people += [{"statistic_id": sid, "role": "member", "sex": s, "age_band": "0-17"}
               for s in members]  # fmt: skip
    await unit.connection.execute(insert(StatisticPerson.__table__), people)
    done = {"requested": 0, **(steps or {})}
    await unit.connection.execute(insert(StatisticStep.__table__), [
        {"statistic_id": sid, "step": step, "month": month, "day": day}
        for step, day in done.items()
    ])  # fmt: skip
    if checkins:
        await unit.connection.execute(insert(StatisticCheckin.__table__), [
            {"statistic_id": sid, "checkin": name, "status": state, "day": day,
             "economic": economic, "social": 0.5 if economic is not None else None,
             "psychosocial": None, "composite": economic}
            for name, (state, day, economic) in checkins.items()
        ])  # fmt: skip
    if flags:
        await unit.connection.execute(insert(StatisticFlag.__table__), [
            {"statistic_id": sid, "flag": flag, "acknowledged": seen}
            for flag, seen in flags.items()
        ])  # fmt: skip
    if grants:
        await unit.connection.execute(insert(StatisticGrant.__table__), [
            {"statistic_id": sid, "category": category, "planned_cents": planned,
             "approved_cents": approved, "delivered_cents": delivered}
            for category, (planned, approved, delivered) in grants.items()
        ])  # fmt: skip
    return sid


async def seed_cohort(unit: Unit) -> dict[str, int]:
    """The cohort of this module's docstring; the ids of its projects and source."""
    sahel = await _project(unit, "Sahel", ["EU"], ["SN"])
    niger = await _project(unit, "Niger", ["EU", "Norway"], ["ML"])
    caritas = (await sources.add(unit, "Caritas", "caritas", "test", NOW)).id
    members: list[tuple[str | None, ...]] = [("male",), ("female",), (None,), (), (), ()]
    for i in range(6):
        returned = DEPARTED[i] + 1
        checkins: dict[str, tuple[str, int | None, float | None]] = {
            "month_3": ("answered", returned + MONTH_3[i], ECONOMIC[i]) if i < 5
            else ("no_reply", None, None),
            "month_6": ("answered", returned + 180, 0.9) if i < 2 else ("scheduled", None, None),
        }  # fmt: skip
        grants = {"equipment": (100000, 80000, 50000)}
        if i < 2:
            grants["training"] = (20000, 0, 0)
        await add_statistic(
            unit, month="2026-09", status="returned", nationality="SN", destination="SN",
            city="rabat", members=members[i], project_id=sahel, plan_kind="business",
            grant_cap_cents=150000,
            steps={"accepted": ACCEPTED[i], "departed": DEPARTED[i], "returned": returned},
            checkins=checkins, grants=grants,
            flags={"urgent_health": i < 3} if i < 5 else {"minor": False},
        )  # fmt: skip
    for day in (3, 5):
        await add_statistic(unit, month="2026-10", status="accepted", nationality="ML",
                            destination="ML", city="casablanca", sex="male", project_id=niger,
                            grant_cap_cents=100000, steps={"accepted": day})  # fmt: skip
    for i in range(3):
        await add_statistic(unit, month="2026-11", status="submitted", nationality="SN",
                            city="rabat", source_id=caritas,
                            flags={"unsafe": False} if i == 0 else None)  # fmt: skip
    await add_statistic(unit, month="2026-09", status="duplicate", nationality="SN",
                        city="rabat", members=("male", "male"), project_id=sahel,
                        steps={"accepted": 1})  # fmt: skip
    for _ in range(5):
        await add_statistic(unit, month="2025-06", status="submitted", nationality="CM",
                            city="oujda")  # fmt: skip
    return {"sahel": sahel, "niger": niger, "caritas": caritas}
