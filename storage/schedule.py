"""Local time for deadlines and reminders: the deadline instant, reminder days, quiet hours.

Pure date arithmetic, no database. A deadline is an instant (UTC in the database); users read
it in the cycle's zone. A deadline given as a day means the end of that day, which is the first
instant of the next local day: 2026-12-31 in Asia/Shanghai is passed at 2026-12-31T16:00:00Z and
not a second earlier. Reminders go out at one local time of day, never inside quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_QUIET_HOURS",
    "DEFAULT_REMINDER_TIME",
    "QuietHours",
    "ReminderSchedule",
    "ScheduleError",
    "deadline_passed",
    "end_of_day",
    "last_day",
    "parse_clock",
    "parse_deadline",
    "parse_quiet_hours",
]

DEFAULT_REMINDER_TIME = "09:00"
DEFAULT_QUIET_HOURS = "22:00-08:00"


class ScheduleError(ValueError):
    """A time, window or deadline that cannot be read; the message names the value."""


def parse_clock(value: str) -> time:
    """Reads a local time of day written `HH:MM` (24-hour)."""
    try:
        hours, minutes = value.strip().split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError(value)
        return time(int(hours), int(minutes))
    except ValueError:
        raise ScheduleError(f"time of day must be HH:MM like 09:00, got {value!r}") from None


@dataclass(frozen=True)
class QuietHours:
    """A local window no reminder is sent in; `start > end` wraps past midnight (22:00-08:00)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether a local time of day falls inside the window (start included, end not)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_quiet_hours(value: str) -> QuietHours | None:
    """Reads `HH:MM-HH:MM`, or `off` for no quiet hours (None)."""
    if value.strip().lower() == "off":
        return None
    parts = value.split("-")
    if len(parts) != 2:
        raise ScheduleError(
            f"quiet hours must be HH:MM-HH:MM like 22:00-08:00 or off, got {value!r}"
        )
    start, end = (parse_clock(part) for part in parts)
    if start == end:
        raise ScheduleError(f"quiet hours start and end at the same time: {value!r}")
    return QuietHours(start, end)


@dataclass(frozen=True)
class ReminderSchedule:
    """When reminders go out: the zone users live in, the time of day, the quiet hours."""

    zone: ZoneInfo
    reminder_time: time
    quiet_hours: QuietHours | None

    def __post_init__(self) -> None:
        if self.quiet_hours is not None and self.quiet_hours.contains(self.reminder_time):
            raise ScheduleError(
                f"reminder time {self.reminder_time:%H:%M} is inside the quiet hours "
                f"{self.quiet_hours.start:%H:%M}-{self.quiet_hours.end:%H:%M}"
            )

    @classmethod
    def of(
        cls,
        zone: ZoneInfo,
        reminder_time: str = DEFAULT_REMINDER_TIME,
        quiet_hours: str = DEFAULT_QUIET_HOURS,
    ) -> ReminderSchedule:
        """Builds the schedule from the settings' text forms."""
        return cls(zone, parse_clock(reminder_time), parse_quiet_hours(quiet_hours))

    def quiet(self, now: datetime) -> bool:
        """Whether `now` (aware) falls inside the quiet hours, read in local time."""
        if self.quiet_hours is None:
            return False
        return self.quiet_hours.contains(now.astimezone(self.zone).time())

    def send_time(self, day: date) -> datetime:
        """The UTC instant of the reminder time on a local day."""
        return datetime.combine(day, self.reminder_time, self.zone).astimezone(UTC)


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant a deadline "on `day`" passes: the first moment of the next local day."""
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def last_day(deadline: datetime, zone: tzinfo) -> date:
    """The last local day on which answers are still taken before `deadline`."""
    return (deadline - timedelta(microseconds=1)).astimezone(zone).date()


def deadline_passed(deadline: datetime, now: datetime) -> bool:
    """Whether `now` is at or after the deadline instant."""
    return now >= deadline


def parse_deadline(value: str, zone: tzinfo) -> datetime:
    """Reads `YYYY-MM-DD` (the end of that local day) or `YYYY-MM-DDTHH:MM` (that local time).

    Returns:
        The deadline as an aware UTC instant.
    """
    cleaned = value.strip().replace(" ", "T")
    try:
        if "T" not in cleaned:
            return end_of_day(date.fromisoformat(cleaned), zone)
        day, clock = cleaned.split("T", 1)
        return datetime.combine(date.fromisoformat(day), parse_clock(clock), zone).astimezone(UTC)
    except (ValueError, ScheduleError):
        raise ScheduleError(
            f"deadline must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time), got {value!r}"
        ) from None
