"""Keeping a case's check-ins in line with the case: planned, moved, or cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.engine.checkins import Followups
from bot.followups.planning import plan
from bot.followups.zones import zone_for
from bot.status import Status
from bot.store import Unit, audit, checkins

# A check-in whose day passed more than this long ago (a return date entered late) is
# not sent at all: five questions about "your first week" after two months help no one.
TOO_LATE = timedelta(days=3)


async def schedule_case(unit: Unit, case_id: int, followups: Followups, now: datetime) -> int:
    """Plan (or re-plan) the case's check-ins from its return date, or cancel them.

    Check-ins exist only for a returned case with a return date, whose person agreed to
    messages after return and has not blocked the bot. Returns how many are planned.
    """
    facts = await checkins.planning_facts(unit, case_id)
    if facts is None:
        return 0
    if facts.status != Status.RETURNED or facts.return_date is None:
        await checkins.cancel(unit, now, facts.status, case_id=case_id)
        return 0
    if not facts.consent or facts.unreachable:
        reason = "no_consent" if not facts.consent else checkins.BLOCKED
        await checkins.cancel(unit, now, reason, case_id=case_id)
        return 0
    zone = zone_for(facts.country, facts.time_zone)
    timely = [p for p in plan(followups, facts.return_date, zone) if p.due_at >= now - TOO_LATE]
    late = {c.id for c in followups.checkins} - {p.checkin for p in timely}
    if late:
        await checkins.cancel(unit, now, "too_late", case_id=case_id, checkins=late)
    planned = await checkins.plan(unit, case_id, [(p.checkin, p.due_at) for p in timely], now)
    await audit.record(
        unit, "followups.planned", now, pre_registration_id=case_id, planned=planned, zone=zone.key
    )
    return planned
