"""Working days on China's official calendar, for the end of a publicity period (公示期).

The official schedule (public holidays and the weekend days worked in exchange, 调休上班) comes
from the `holidays` library. The State Council publishes each year's schedule in November or
December and a library release can lag behind it: `holidays` 0.109 knows 2024-2026 and, for a
later year, still answers with holidays computed from fixed rules but without any adjusted
working day. Such a year is not officially known, and counting on it would silently misplace
an end date by days, so it is refused unless a town's corrections file gives that year in full.

A town's corrections file (YAML) adds its own closures and working days on top of the official
calendar, and may give whole years the library does not know yet::

    complete_years: [2027]           # years this file gives in full (weekends + the lists below)
    holidays:                        # days off: the town's closures, or a year given in full
      - 2027-01-01
      - {from: 2027-02-06, to: 2027-02-12, note: 春节}
    workdays:                        # weekend days worked (调休上班)
      - {date: 2027-02-20, note: 春节调休}

The result names, per year it counted on, which calendar that was (`CalendarSource`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_WORKING_DAYS",
    "CalendarError",
    "CalendarSource",
    "Corrections",
    "PublicityPeriod",
    "load_corrections",
    "parse_corrections",
    "publicity_end",
]

# A publicity period is five working days as a rule (the seed says 公示); a month is the most any
# locality asks, and the bound keeps a typo from scanning the calendar for years.
MAX_WORKING_DAYS = 30
_SATURDAY = 5
_MAX_CORRECTIONS_BYTES = 100_000


class CalendarError(ValueError):
    """A day the calendar cannot place, or a corrections file that is wrong; says which."""


class CalendarSource(StrEnum):
    """Which calendar a year's days were counted on."""

    OFFICIAL = "official"  # the State Council's schedule, as the `holidays` library carries it
    OFFICIAL_CORRECTED = "official_corrected"  # the same, with the town's own corrections
    TOWN = "town"  # a year the town's corrections file gives in full


@dataclass(frozen=True)
class Corrections:
    """A town's own closures and working days, and the years it gives in full."""

    source: str
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)
    complete_years: frozenset[int] = frozenset()


@dataclass(frozen=True)
class PublicityPeriod:
    """The period's first and last working day, every working day counted, and the calendars.

    Attributes:
        calendars: year → the calendar that year's days were counted on; `library_version` is
            the `holidays` release the official days came from.
    """

    start: date
    end: date
    working_days: tuple[date, ...]
    calendars: Mapping[int, CalendarSource]
    library_version: str
    corrections_source: str | None


def publicity_end(
    start: date, working_days: int, corrections: Corrections | None = None
) -> PublicityPeriod:
    """Counts `working_days` working days from `start` (counted itself when it is one).

    Raises:
        CalendarError: the count is out of range, or a day to count falls in a year neither
            the official calendar nor the corrections file knows.
    """
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise CalendarError(f"working days: expected 1 to {MAX_WORKING_DAYS}, got {working_days}")
    official = _OfficialCalendar()
    counted: list[date] = []
    calendars: dict[int, CalendarSource] = {}
    day = start
    while len(counted) < working_days:
        working, source = _classify(day, official, corrections)
        calendars[day.year] = _stronger(calendars.get(day.year), source)
        if working:
            counted.append(day)
        day += timedelta(days=1)
    return PublicityPeriod(
        start=counted[0],
        end=counted[-1],
        working_days=tuple(counted),
        calendars=calendars,
        library_version=official.version,
        corrections_source=corrections.source if corrections is not None else None,
    )


def _stronger(current: CalendarSource | None, new: CalendarSource) -> CalendarSource:
    """A year counted partly with corrections is reported as corrected."""
    if current is None or current == CalendarSource.OFFICIAL:
        return new
    return current


def _classify(
    day: date, official: _OfficialCalendar, corrections: Corrections | None
) -> tuple[bool, CalendarSource]:
    """Whether `day` is a working day, and on which calendar that was decided."""
    if corrections is not None:
        if day in corrections.workdays:
            return True, _town_or_corrected(day, official, corrections)
        if day in corrections.holidays:
            return False, _town_or_corrected(day, official, corrections)
        if day.year in corrections.complete_years:
            return day.weekday() < _SATURDAY, CalendarSource.TOWN
    if not official.knows(day.year):
        raise CalendarError(
            f"{day.isoformat()}: China's official schedule for {day.year} is not known "
            f"(holidays {official.version} has no adjusted working days for it); "
            f"give {day.year} in full in the town's corrections file (complete_years)"
        )
    return official.is_working_day(day), CalendarSource.OFFICIAL


def _town_or_corrected(
    day: date, official: _OfficialCalendar, corrections: Corrections
) -> CalendarSource:
    if day.year in corrections.complete_years or not official.knows(day.year):
        return CalendarSource.TOWN
    return CalendarSource.OFFICIAL_CORRECTED


class _OfficialCalendar:
    """The `holidays` library's China, one year loaded at a time as the count reaches it."""

    def __init__(self) -> None:
        import holidays
        from holidays.countries.china import China

        self.version: str = holidays.version.__version__
        self._china: Any = China
        self._years: dict[int, Any] = {}

    def _year(self, year: int) -> Any:
        if year not in self._years:
            self._years[year] = self._china(years=year)
        return self._years[year]

    def knows(self, year: int) -> bool:
        """Whether the library carries the official schedule of `year`.

        Every officially published year moves some weekend days to working days (调休), so a
        year without any is one whose schedule the library computed from rules, not read.
        """
        workdays = getattr(self._year(year), "weekend_workdays", ())
        return any(day.year == year for day in workdays)

    def is_working_day(self, day: date) -> bool:
        """Not a public holiday, and a weekday or an adjusted working weekend day."""
        return bool(self._year(day.year).is_working_day(day))


def load_corrections(path: Path) -> Corrections:
    """Reads a town's corrections file (YAML, at most 100 kB)."""
    try:
        size = path.stat().st_size
        if size > _MAX_CORRECTIONS_BYTES:
            raise CalendarError(f"{path}: {size} bytes; at most {_MAX_CORRECTIONS_BYTES}")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CalendarError(f"{path}: cannot read ({error})") from None
    return parse_corrections(text, source=str(path))


def parse_corrections(text: str, source: str) -> Corrections:
    """Parses the corrections YAML; every problem is named with its field and value."""
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:  # PyYAML raises ValueError for 2027-13-01
        raise CalendarError(f"{source}: not a readable YAML file ({error})") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise CalendarError(f"{source}: expected a mapping of holidays, workdays, complete_years")
    unknown = sorted(str(key) for key in document if key not in _KEYS)
    if unknown:
        raise CalendarError(f"{source}: unknown keys {', '.join(unknown)}")
    holidays = _days(document.get("holidays"), f"{source}: holidays")
    workdays = _days(document.get("workdays"), f"{source}: workdays")
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise CalendarError(f"{source}: {both[0].isoformat()} is both a holiday and a working day")
    years = document.get("complete_years") or []
    if not isinstance(years, list) or not all(
        isinstance(year, int) and 2000 <= year <= 2100 for year in years
    ):
        raise CalendarError(f"{source}: complete_years: expected a list of years, got {years!r}")
    return Corrections(source, holidays, workdays, frozenset(years))


_KEYS = frozenset({"holidays", "workdays", "complete_years"})
# A range in the file spans at most this many days: a holiday week, not a typo of a year.
_MAX_RANGE_DAYS = 31


def _days(entries: Any, where: str) -> dict[date, str]:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise CalendarError(f"{where}: expected a list, got {entries!r}")
    days: dict[date, str] = {}
    for position, entry in enumerate(entries, start=1):
        for day, note in _entry_days(entry, f"{where}[{position}]"):
            days[day] = note
    return days


def _entry_days(entry: Any, where: str) -> Iterable[tuple[date, str]]:
    if isinstance(entry, date | str):
        return [(_date(entry, where), "")]
    if not isinstance(entry, dict):
        raise CalendarError(f"{where}: expected a date or a mapping, got {entry!r}")
    note = str(entry.get("note") or "")
    if "date" in entry:
        return [(_date(entry["date"], where), note)]
    first, last = _date(entry.get("from"), where), _date(entry.get("to"), where)
    if not 0 <= (last - first).days < _MAX_RANGE_DAYS:
        raise CalendarError(
            f"{where}: from {first} to {last}: expected a range of 1 to {_MAX_RANGE_DAYS} days"
        )
    return [(first + timedelta(days=offset), note) for offset in range((last - first).days + 1)]


def _date(value: Any, where: str) -> date:
    # PyYAML reads an unquoted 2027-02-06 as a date already; a quoted one is a string.
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: expected a date like 2027-02-06, got {value!r}")
