"""When check-ins are due, in UTC, from a return date and a local time zone. Pure.

A check-in is due at the schedule's hour, local time, on the day its offset gives. Nothing
is ever sent in the quiet hours: a send that would fall in them waits for their end.
Local wall-clock times go through zoneinfo, so daylight-saving changes are handled: a
local hour that does not exist that day (clocks jump forward) moves on by the jump.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.engine.checkins import Checkin, Followups, Schedule


@dataclass(frozen=True)
class Planned:
    checkin: str
    due_at: datetime  # UTC


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_day(checkin: Checkin, return_date: date) -> date:
    return add_months(return_date, checkin.months) + timedelta(days=checkin.days)


def at_local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour`:00 local time on `day`, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def plan(followups: Followups, return_date: date, zone: ZoneInfo) -> list[Planned]:
    """Every check-in's first message, at the schedule's local hour."""
    hour = followups.schedule.send_hour
    return [
        Planned(c.id, at_local(local_day(c, return_date), hour, zone)) for c in followups.checkins
    ]


def allowed(instant: datetime, schedule: Schedule, zone: ZoneInfo) -> datetime:
    """`instant` itself if it is outside the quiet hours there, else the end of them."""
    local = instant.astimezone(zone)
    if not schedule.quiet(local.hour):
        return instant
    day = local.date()
    if local.hour >= schedule.quiet_until:  # quiet hours that started this evening
        day += timedelta(days=1)
    return at_local(day, schedule.quiet_until, zone)
