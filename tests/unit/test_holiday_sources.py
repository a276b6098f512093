"""The working-day calendar's sources: statutory rule, published arrangements, operator file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from chinese_calendar import constants as published

from sandbox.config import SHIPPED_CALENDAR_PATH
from sandbox.errors import CalendarExhausted
from sandbox.holiday_sources import LAST_YEAR, build_calendar, statutory_holidays

DEFAULT = build_calendar(None)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_statutory_rule_gives_2027_its_thirteen_days() -> None:
    """New Year 1, Spring Festival 4 (eve 5 Feb), Qingming 1, Labour Day 2, Dragon Boat 1,
    Mid-Autumn 1, National Day 3: the 2025 regulations' thirteen days."""
    days = statutory_holidays(2027)
    assert len(days) == 13
    expected = [
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    ]
    assert sorted(days) == [d(day) for day in expected]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_days_are_within_each_published_arrangement(year: int) -> None:
    """The rule agrees with the State Council's notices since the 2025 amendment."""
    arranged = {day for day in published.holidays if day.year == year}
    assert statutory_holidays(year) <= arranged


def test_published_years_are_confirmed_and_later_years_provisional() -> None:
    assert DEFAULT.timezone == "Asia/Shanghai"
    assert DEFAULT.covers(d("2026-10-08")) and not DEFAULT.covers(d("2027-01-04"))
    assert not DEFAULT.is_working_day(d("2026-10-07"))  # National Day 2026, published
    assert DEFAULT.is_working_day(d("2026-10-10"))  # a Saturday worked in 2026
    assert not DEFAULT.is_working_day(d("2027-02-08"))  # Spring Festival 2027, statutory
    assert not DEFAULT.is_working_day(d("2027-01-01"))


def test_a_deadline_running_into_an_unconfirmed_year_says_so() -> None:
    received = datetime(2026, 12, 7, 2, tzinfo=UTC)
    due = DEFAULT.due_date(received, 20)
    assert due.year == 2027
    left = DEFAULT.time_left(due, received)
    assert left.provisional and "provisional" in left.describe()
    inside = DEFAULT.due_date(datetime(2026, 6, 1, 2, tzinfo=UTC), 10)
    assert not DEFAULT.time_left(inside, datetime(2026, 6, 1, 2, tzinfo=UTC)).provisional


def test_a_deadline_past_the_last_known_year_is_refused() -> None:
    with pytest.raises(CalendarExhausted, match=f"{LAST_YEAR}-12-31"):
        DEFAULT.add_working_days(date(LAST_YEAR, 12, 1), 40)


def test_an_operator_file_confirms_its_range_and_replaces_what_is_there(tmp_path: Path) -> None:
    """A 2027 notice arriving before the package's next release: the operator's file."""
    path = tmp_path / "calendar-2027.yaml"
    path.write_text(
        "name: 2027 notice\n"
        "timezone: Asia/Shanghai\n"
        "covers: {from: 2027-01-01, to: 2027-12-31}\n"
        "holidays:\n"
        "  - {name: Spring Festival, from: 2027-02-05, to: 2027-02-11}\n"
        "make_up_working_days:\n"
        "  - {date: 2027-02-20}\n",
        encoding="utf-8",
    )
    calendar = build_calendar(path)
    assert calendar.confirms(d("2026-12-01"), d("2027-03-01"))  # the spans join
    assert not calendar.is_working_day(d("2027-02-11"))
    assert calendar.is_working_day(d("2027-02-20"))  # a Saturday worked
    assert calendar.is_working_day(d("2027-10-01")) is True  # the file lists no October days
    received = datetime(2026, 12, 7, 2, tzinfo=UTC)
    assert not calendar.time_left(calendar.due_date(received, 20), received).provisional
    assert calendar.name.startswith("2027 notice")


def test_the_shipped_file_as_override_leaves_the_calendar_as_published() -> None:
    shipped = build_calendar(SHIPPED_CALENDAR_PATH)
    for day in ("2026-02-14", "2026-02-16", "2026-10-10", "2026-10-07", "2026-05-05"):
        assert shipped.is_working_day(d(day)) == DEFAULT.is_working_day(d(day)), day
