"""The working-day calendar: weekends, holidays, make-up days, deadlines and time left."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.config import SHIPPED_CALENDAR_PATH, Settings
from sandbox.errors import InvalidRequest
from sandbox.workdays import WorkCalendar, calendar_of, load_calendar, parse_calendar

CN = load_calendar(SHIPPED_CALENDAR_PATH)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_the_shipped_calendar_file_knows_2026_and_is_no_default() -> None:
    assert Settings().calendar_path is None  # published arrangements + statutory by default
    assert CN.timezone == "Asia/Shanghai"
    assert CN.covers(d("2026-06-01")) and not CN.covers(d("2027-01-04"))
    assert "SANDBOX_CALENDAR_PATH" in SHIPPED_CALENDAR_PATH.read_text(encoding="utf-8")
    # Spring Festival 2026: Feb 15-23 off, Saturdays Feb 14 and Feb 28 worked.
    for day in ("2026-02-15", "2026-02-16", "2026-02-20", "2026-02-23"):
        assert not CN.is_working_day(d(day)), day
    for day in ("2026-02-14", "2026-02-28", "2026-02-24", "2026-02-13"):
        assert CN.is_working_day(d(day)), day
    # National Day: Oct 1-7 off, Sunday Sep 20 and Saturday Oct 10 worked.
    assert not any(CN.is_working_day(d(f"2026-10-0{i}")) for i in range(1, 8))
    assert CN.is_working_day(d("2026-09-20")) and CN.is_working_day(d("2026-10-10"))
    assert not CN.is_working_day(d("2026-10-11"))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # The start day is never counted; the make-up Saturday counts; the holiday does not.
        ("2026-02-12", 1, "2026-02-13"),
        ("2026-02-12", 2, "2026-02-14"),
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-02-12", 5, "2026-02-26"),
        ("2026-02-13", 10, "2026-03-05"),  # Feb 28 (Saturday) is worked, Mar 1 is not
        ("2026-02-15", 1, "2026-02-24"),  # filed on a holiday
        # National Day: Sep 20 (Sunday) and Oct 10 (Saturday) are worked.
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 10, "2026-10-20"),
        ("2026-09-24", 20, "2026-10-29"),
        ("2026-06-01", 0, "2026-06-01"),
    ],
)
def test_add_working_days_across_holiday_periods(start: str, n: int, due: str) -> None:
    assert CN.add_working_days(d(start), n) == d(due)
    assert CN.working_days_between(d(start), d(due)) == n


def test_working_days_between_is_the_inverse_of_adding_all_year() -> None:
    day = d("2025-12-20")
    while day < d("2027-01-10"):
        for n in (1, 5, 10, 20):
            due = CN.add_working_days(day, n)
            assert CN.working_days_between(day, due) == n, (day, n)
            assert CN.working_days_between(due, day) == -n
            assert CN.is_working_day(due)
        day += timedelta(days=1)


def test_working_days_between_counts_by_brute_force() -> None:
    start = d("2026-01-01")
    for span in (0, 1, 6, 7, 8, 40, 200, 365):
        end = start + timedelta(days=span)
        expected = sum(CN.is_working_day(start + timedelta(days=i)) for i in range(1, span + 1))
        assert CN.working_days_between(start, end) == expected


def test_2026_has_the_expected_number_of_working_days() -> None:
    # 2026 has 261 weekdays; holidays on weekdays are off, make-up weekend days are worked.
    weekday_holidays = sum(1 for h in CN.holidays if h.weekday() < 5)
    assert CN.working_days_between(d("2025-12-31"), d("2026-12-31")) == (
        261 - weekday_holidays + len(CN.makeup_days)
    )
    assert len(CN.makeup_days) == 6


def test_deadlines_count_from_the_local_day_of_receipt() -> None:
    # 17:00 UTC on Friday Feb 13 is 01:00 on Saturday Feb 14 in Shanghai: a make-up day.
    received = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)
    assert CN.local_date(received) == d("2026-02-14")
    assert CN.due_date(received, 1) == d("2026-02-24")
    assert CN.due_date(datetime(2026, 2, 13, 15, 0, tzinfo=UTC), 1) == d("2026-02-14")
    # The day ends at midnight in Shanghai: 16:00 UTC.
    assert CN.end_of_day(d("2026-02-24")) == datetime(2026, 2, 24, 16, 0, tzinfo=UTC)
    assert CN.start_of_day(d("2026-02-24")) == datetime(2026, 2, 23, 16, 0, tzinfo=UTC)


def test_time_left() -> None:
    due = d("2026-02-26")  # Thursday
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    left = CN.time_left(due, at("2026-02-12T02:00"))
    assert (left.working_days_left, left.overdue) == (5, False)
    assert left.describe() == "5 working days left"
    assert CN.time_left(due, at("2026-02-25T02:00")).describe() == "1 working day left"
    assert CN.time_left(due, at("2026-02-26T15:59")).describe() == "due today"
    late = CN.time_left(due, at("2026-02-26T16:00"))  # midnight in Shanghai: Friday
    assert late.overdue and late.working_days_left == -1
    assert late.describe() == "overdue by 1 working day"
    weekend = CN.time_left(d("2026-03-06"), at("2026-03-07T02:00"))  # due Friday, now Saturday
    assert weekend.overdue and weekend.working_days_left == 0
    assert weekend.describe() == "overdue (was due 2026-03-06)"
    later = CN.time_left(due, at("2026-03-03T02:00"))
    assert later.overdue and later.describe() == "overdue by 4 working days"  # Feb 28 is worked


def test_a_plain_calendar_knows_only_weekends() -> None:
    plain = calendar_of()
    assert plain.add_working_days(d("2026-10-01"), 1) == d("2026-10-02")
    assert plain.add_working_days(d("2026-10-02"), 1) == d("2026-10-05")
    custom = calendar_of([d("2026-10-05")], [d("2026-10-03")])
    assert custom.add_working_days(d("2026-10-02"), 2) == d("2026-10-06")


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"make_up_working_days": [{"date": "2026-02-13"}]}, "not a weekend day"),
        ({"holidays": ["2026-02-14"], "make_up_working_days": ["2026-02-14"]}, "both"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"holidays": [{"from": "2026-02-20", "to": "2026-02-10"}]}, "forwards"),
        ({"holidays": [{"date": "2026-02-30"}]}, "YYYY-MM-DD"),
        ({"holidays": [{"when": "2026-02-03"}]}, "unknown"),
        ({"holidays": [{"name": "x"}]}, "needs a date"),
        ({"weekend": ["caturday"]}, "weekend day"),
        ({"holdays": []}, "unknown calendar fields"),
        ({"holidays": "2026-01-01"}, "must be a list"),
    ],
)
def test_malformed_calendars_are_refused_naming_the_problem(
    document: dict[str, object], needle: str
) -> None:
    with pytest.raises(InvalidRequest, match=needle):
        parse_calendar(document)


def test_calendar_files_load_as_yaml_or_json(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(
        json.dumps(
            {
                "timezone": "Asia/Shanghai",
                "weekend": ["friday", "saturday"],
                "holidays": [{"name": "x", "date": "2026-03-02"}],
            }
        )
    )
    loaded = load_calendar(path)
    assert loaded.weekend == frozenset({4, 5})
    # Thursday + 2 skips the Friday-Saturday weekend and the Monday holiday.
    assert loaded.add_working_days(d("2026-02-26"), 2) == d("2026-03-03")
    with pytest.raises(InvalidRequest, match="cal.json"):
        path.write_text("{not json")
        load_calendar(path)
    with pytest.raises(InvalidRequest, match="cannot read"):
        load_calendar(tmp_path / "missing.yaml")


def test_bad_numbers_of_days_are_refused() -> None:
    for n in (-1, 10**6):
        with pytest.raises(InvalidRequest):
            CN.add_working_days(d("2026-01-05"), n)
    with pytest.raises(InvalidRequest):
        WorkCalendar(weekend=frozenset(range(7)))
