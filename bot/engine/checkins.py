"""Follow-up check-ins after return, as plain data: what to ask, and when.

Each check-in is a short flow run by the same engine as the intake. When it is due, and
at what local hour, is the `Schedule`; bot/followups computes the instants from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.flow import Flow

FLOW_PREFIX = "followup."


@dataclass(frozen=True)
class Schedule:
    send_hour: int = 10  # local hour of the first message of a check-in
    quiet_from: int = 21  # nothing is sent from this local hour...
    quiet_until: int = 8  # ...until this one
    reminder_after_hours: int = 48
    max_reminders: int = 1
    busy_wait_hours: int = 24  # wait this long for another conversation to end, at most
    retry_delay_seconds: int = 60  # the first retry after a failure; doubled each time
    max_attempts: int = 5

    def quiet(self, hour: int) -> bool:
        """Is this local hour inside the quiet hours (which may span midnight)?"""
        if self.quiet_from > self.quiet_until:
            return hour >= self.quiet_from or hour < self.quiet_until
        return self.quiet_from <= hour < self.quiet_until


@dataclass(frozen=True)
class Checkin:
    id: str
    label: str  # English source text, for staff: "1 month after return"
    days: int  # after the return date: days...
    months: int  # ...plus calendar months
    flow: Flow


@dataclass(frozen=True)
class Followups:
    schedule: Schedule
    checkins: tuple[Checkin, ...]

    def checkin(self, checkin_id: str) -> Checkin:
        for checkin in self.checkins:
            if checkin.id == checkin_id:
                return checkin
        raise KeyError(checkin_id)

    @property
    def flows(self) -> dict[str, Flow]:
        return {c.flow.id: c.flow for c in self.checkins}
