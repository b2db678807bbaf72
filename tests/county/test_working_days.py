"""The end of a publicity period, hand-worked over China's official calendar."""

from __future__ import annotations

from datetime import date

import pytest

from storage.working_days import CalendarError, CalendarSource, parse_corrections, publicity_end

OFFICIAL = CalendarSource.OFFICIAL


@pytest.mark.parametrize(
    ("start", "working_days", "end"),
    [
        # National Day 2026: 10-01 to 10-07 off, Sunday 09-20 and Saturday 10-10 worked.
        (date(2026, 9, 28), 5, date(2026, 10, 9)),
        (date(2026, 9, 30), 4, date(2026, 10, 10)),
        (date(2026, 9, 18), 2, date(2026, 9, 20)),
        # Spring Festival 2026: 02-15 to 02-23 off, Saturdays 02-14 and 02-28 worked.
        (date(2026, 2, 12), 5, date(2026, 2, 25)),
        (date(2026, 2, 26), 3, date(2026, 2, 28)),
        (date(2026, 2, 16), 1, date(2026, 2, 24)),
        # National Day 2024: 10-01 to 10-07 off, Sunday 09-29 and Saturday 10-12 worked.
        (date(2024, 9, 26), 5, date(2024, 10, 8)),
        # An ordinary week: a Saturday start counts from Monday.
        (date(2026, 11, 28), 5, date(2026, 12, 4)),
    ],
)
def test_publicity_ends_on_the_hand_worked_day(start: date, working_days: int, end: date) -> None:
    period = publicity_end(start, working_days)

    assert (period.end, len(period.working_days)) == (end, working_days)
    assert set(period.calendars.values()) == {OFFICIAL}


def test_the_counted_days_skip_the_spring_festival_and_keep_its_working_saturday() -> None:
    period = publicity_end(date(2026, 2, 12), 5)

    assert period.working_days == (
        date(2026, 2, 12),
        date(2026, 2, 13),
        date(2026, 2, 14),
        date(2026, 2, 24),
        date(2026, 2, 25),
    )
    assert period.start == date(2026, 2, 12)


def test_a_period_reaching_a_year_the_library_does_not_know_fails_naming_the_year() -> None:
    with pytest.raises(CalendarError) as raised:
        publicity_end(date(2026, 12, 28), 5)

    assert "2027-01-01" in str(raised.value)
    assert "schedule for 2027 is not known" in str(raised.value)


def test_a_period_ending_before_the_unknown_year_is_counted() -> None:
    assert publicity_end(date(2026, 12, 24), 5).end == date(2026, 12, 30)


def test_a_far_year_that_the_library_answers_from_rules_is_still_refused() -> None:
    with pytest.raises(CalendarError, match="2035"):
        publicity_end(date(2035, 3, 5), 1)


def test_the_town_giving_the_unknown_year_in_full_lets_the_count_cross_into_it() -> None:
    corrections = parse_corrections(
        "complete_years: [2027]\n"
        "holidays:\n  - 2027-01-01\n  - {from: 2027-02-06, to: 2027-02-12, note: 春节}\n"
        "workdays:\n  - {date: 2027-02-20, note: 春节调休}\n",
        source="town.yaml",
    )

    crossing = publicity_end(date(2026, 12, 30), 3, corrections)
    festival = publicity_end(date(2027, 2, 4), 3, corrections)

    assert crossing.end == date(2027, 1, 4)
    assert dict(crossing.calendars) == {2026: OFFICIAL, 2027: CalendarSource.TOWN}
    assert festival.working_days == (date(2027, 2, 4), date(2027, 2, 5), date(2027, 2, 15))
    assert publicity_end(date(2027, 2, 19), 2, corrections).end == date(2027, 2, 20)
    assert crossing.corrections_source == "town.yaml"


def test_a_town_closure_in_an_official_year_moves_the_end_and_is_reported() -> None:
    corrections = parse_corrections("holidays: [2026-09-29]\n", source="town.yaml")

    period = publicity_end(date(2026, 9, 28), 5, corrections)

    assert period.end == date(2026, 10, 10)
    assert dict(period.calendars) == {2026: CalendarSource.OFFICIAL_CORRECTED}


def test_a_closure_alone_does_not_make_an_unknown_year_known() -> None:
    corrections = parse_corrections("holidays: [2027-01-01]\n", source="town.yaml")

    with pytest.raises(CalendarError, match="2027-01-02"):
        publicity_end(date(2026, 12, 31), 3, corrections)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("holidays: [2027-13-01]\n", "month must be in 1..12"),
        ("holidays: ['2027-02-30']\n", "holidays[1]: expected a date like 2027-02-06"),
        ("holiday: [2027-01-01]\n", "unknown keys holiday"),
        ("holidays: [2027-01-01]\nworkdays: [2027-01-01]\n", "2027-01-01 is both"),
        ("holidays:\n  - {from: 2027-01-01, to: 2027-12-31}\n", "expected a range of 1 to 31"),
        ("complete_years: 2027\n", "complete_years: expected a list of years, got 2027"),
        ("- 1\n", "expected a mapping"),
    ],
)
def test_a_bad_corrections_file_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(CalendarError) as raised:
        parse_corrections(text, source="town.yaml")

    assert problem in str(raised.value)
    assert str(raised.value).startswith("town.yaml")


@pytest.mark.parametrize("working_days", [0, 31])
def test_a_count_out_of_range_is_refused(working_days: int) -> None:
    with pytest.raises(CalendarError, match=f"got {working_days}"):
        publicity_end(date(2026, 3, 2), working_days)
