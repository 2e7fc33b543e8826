"""When the office sees people: its days, hours and slots, in its own time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Hours:
    """When the office sees people: its zone, days (ISO weekdays), starting hours, and
    how many people per slot."""

    zone: ZoneInfo
    days: frozenset[int]
    hours: tuple[int, ...]
    limit: int
    reminder_hour: int = 10

    @classmethod
    def parse(cls, zone: str, days: str, hours: str, limit: int, reminder_hour: int) -> Hours:
        return cls(
            ZoneInfo(zone),
            frozenset(int(d) for d in days.split(",") if d.strip()),
            tuple(sorted({int(h) for h in hours.split(",") if h.strip() and int(h) < 24})),
            limit,
            reminder_hour,
        )

    def at(self, day: date, hour: int) -> datetime:
        """A slot's start, in UTC."""
        return datetime.combine(day, time(hour), self.zone).astimezone(UTC)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def open_at(self, day: date, hour: int) -> bool:
        return day.isoweekday() in self.days and hour in self.hours

    def slots(self, after: datetime, until: datetime) -> list[datetime]:
        """The office's slots starting after `after`, up to `until`, in order."""
        found: list[datetime] = []
        day = self.local(after).date()
        while self.at(day, 0) < until:
            if day.isoweekday() in self.days:
                starts = (self.at(day, hour) for hour in self.hours)
                found.extend(s for s in starts if after < s < until)
            day += timedelta(days=1)
        return found

    def reminder(self, starts_at: datetime) -> datetime:
        """When the reminder is due: the day before, at the reminder hour."""
        day = self.local(starts_at).date() - timedelta(days=1)
        return self.at(day, self.reminder_hour)
