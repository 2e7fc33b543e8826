"""When check-ins are due: local hours, time zones, daylight saving, quiet hours. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import ROOT
from bot.conversations import load_followups
from bot.engine.checkins import Followups, Schedule
from bot.followups.planning import add_months, allowed, at_local, plan
from bot.followups.zones import country_zone, zone_for
from tests.helpers import foreign_imports

FOLLOWUPS: Followups = load_followups(ROOT / "conversations" / "followup.yaml")
SCHEDULE = FOLLOWUPS.schedule


def due(country: str, returned: date, override: str | None = None) -> dict[str, datetime]:
    return {p.checkin: p.due_at for p in plan(FOLLOWUPS, returned, zone_for(country, override))}


def test_the_schedule_lives_in_the_yaml() -> None:
    assert [(c.id, c.days, c.months) for c in FOLLOWUPS.checkins] == [
        ("day_7", 7, 0), ("month_1", 0, 1), ("month_3", 0, 3), ("month_6", 0, 6),
        ("month_12", 0, 12),
    ]  # fmt: skip
    assert (SCHEDULE.send_hour, SCHEDULE.quiet_from, SCHEDULE.quiet_until) == (10, 21, 8)
    assert (SCHEDULE.reminder_after_hours, SCHEDULE.max_reminders) == (48, 1)


def test_planning_from_a_return_date_in_senegal_utc() -> None:
    assert due("SN", date(2026, 3, 10)) == {
        "day_7": datetime(2026, 3, 17, 10, tzinfo=UTC),
        "month_1": datetime(2026, 4, 10, 10, tzinfo=UTC),
        "month_3": datetime(2026, 6, 10, 10, tzinfo=UTC),
        "month_6": datetime(2026, 9, 10, 10, tzinfo=UTC),
        "month_12": datetime(2027, 3, 10, 10, tzinfo=UTC),
    }


def test_cameroon_is_an_hour_ahead_of_utc() -> None:
    assert country_zone("CM") == "Africa/Douala"
    assert due("CM", date(2026, 3, 10))["day_7"] == datetime(2026, 3, 17, 9, tzinfo=UTC)


def test_dr_congo_uses_its_capitals_zone_unless_the_case_sets_one() -> None:
    assert country_zone("CD") == "Africa/Kinshasa"  # UTC+1; Lubumbashi, in the east, is UTC+2
    assert due("CD", date(2026, 3, 10))["day_7"] == datetime(2026, 3, 17, 9, tzinfo=UTC)
    east = due("CD", date(2026, 3, 10), override="Africa/Lubumbashi")
    assert east["day_7"] == datetime(2026, 3, 17, 8, tzinfo=UTC)
    assert zone_for("CD", "Not/AZone").key == "Africa/Kinshasa"  # a bad override is ignored


def test_a_destination_with_daylight_saving_keeps_ten_oclock_local() -> None:
    cairo = ZoneInfo("Africa/Cairo")  # Egypt: summer time from late April to late October
    times = due("EG", date(2026, 4, 20))
    assert {t.astimezone(cairo).hour for t in times.values()} == {10}
    offsets = {name: t.astimezone(cairo).utcoffset() for name, t in times.items()}
    assert offsets["month_1"] != offsets["month_12"]  # May is summer time, April 2027 is not
    assert times["month_1"].hour == 7 and times["month_12"].hour == 8


def test_a_local_hour_skipped_by_the_clocks_moves_on() -> None:
    paris = ZoneInfo("Europe/Paris")  # 29 March 2026: 02:00 -> 03:00
    instant = at_local(date(2026, 3, 29), 2, paris)
    assert instant.astimezone(paris).hour == 3


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 5, 4, 12, 0), datetime(2026, 5, 4, 12, 0)),  # daytime: now
        (datetime(2026, 5, 4, 20, 59), datetime(2026, 5, 4, 20, 59)),
        (datetime(2026, 5, 4, 21, 0), datetime(2026, 5, 5, 8, 0)),  # evening: tomorrow 08:00
        (datetime(2026, 5, 4, 23, 30), datetime(2026, 5, 5, 8, 0)),
        (datetime(2026, 5, 5, 3, 0), datetime(2026, 5, 5, 8, 0)),  # night: this morning
        (datetime(2026, 5, 5, 7, 59), datetime(2026, 5, 5, 8, 0)),
    ],
)
def test_quiet_hours_are_kept_in_local_time(local: datetime, expected: datetime) -> None:
    douala = ZoneInfo("Africa/Douala")
    result = allowed(local.replace(tzinfo=douala).astimezone(UTC), SCHEDULE, douala)
    assert result.astimezone(douala).replace(tzinfo=None) == expected


def test_quiet_hours_within_one_day() -> None:
    lunch = Schedule(send_hour=10, quiet_from=12, quiet_until=14)
    zone = ZoneInfo("UTC")
    assert allowed(datetime(2026, 5, 4, 13, tzinfo=UTC), lunch, zone).hour == 14
    assert allowed(datetime(2026, 5, 4, 15, tzinfo=UTC), lunch, zone).hour == 15


def test_months_end_on_the_months_last_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)


def test_planning_imports_only_the_standard_library_and_the_engine() -> None:
    source = (ROOT / "bot" / "followups" / "planning.py").read_text(encoding="utf-8")
    assert foreign_imports(source) == set()
