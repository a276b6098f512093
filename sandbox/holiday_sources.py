"""Where the working-day calendar's holidays come from, so that it never runs out silently.

Three sources, each overriding the one before it for the years it states:

1. **The statutory holidays** of the 《全国年节及纪念日放假办法》 (as amended by State Council
   Decree No. 795, in force from 1 January 2025): New Year's Day (1 day), the Spring Festival
   (the eve and the first three days of the first lunar month), Qingming (the day of the solar
   term), Labour Day (1-2 May), the Dragon Boat Festival (5th day of the 5th lunar month),
   Mid-Autumn (15th day of the 8th lunar month) and National Day (1-3 October). They are
   computed for any year (lunar dates by ``lunardate``, the solar term by ``chinese_calendar``),
   but the State Council's yearly notice also moves weekend days around them (调休), which no
   rule predicts: a year known only this way is **provisional**, and a deadline falling in it
   says so (:attr:`sandbox.workdays.TimeLeft.provisional`).
2. **The published arrangements** the ``chinese-calendar`` package maintains (holidays and
   make-up working days of each year's notice, every year it ships): confirmed.
3. **The operator's file** (``SANDBOX_CALENDAR_PATH``, :func:`sandbox.workdays.load_calendar`):
   its ``covers`` range replaces everything else in those days (a notice published after the
   package's last release, or a local arrangement). Confirmed.

A deadline past the last computable year is refused (:class:`CalendarExhausted`) rather than
counted with weekends alone, which is what the calendar did before when its file ran out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants as published
from lunardate import LunarDate

from sandbox.workdays import WorkCalendar, load_calendar

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "build_calendar",
    "published_years",
    "statutory_holidays",
]

FIRST_YEAR = 2004
"""First year the calendar knows (the ``chinese-calendar`` package's first)."""
LAST_YEAR = 2099
"""Last year whose lunar festivals ``lunardate`` computes; later deadlines are refused."""

DEFAULT_TIMEZONE = "Asia/Shanghai"


def statutory_holidays(year: int) -> set[date]:
    """The days off the national holiday regulations give in ``year``, before any 调休."""
    spring = LunarDate(year, 1, 1).to_solar_date()
    qingming = [
        day
        for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        if name == "清明"
    ]
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2)}
    days |= {spring - timedelta(days=1), spring, spring + timedelta(1), spring + timedelta(2)}
    days |= set(qingming)
    days.add(LunarDate(year, 5, 5).to_solar_date())
    days.add(LunarDate(year, 8, 15).to_solar_date())
    days |= {date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)}
    # The first lunar month starts between 21 January and 20 February: its eve is this year's.
    return days


def published_years() -> range:
    """The years whose arrangement the installed ``chinese-calendar`` package publishes."""
    years = {day.year for day in published.holidays}
    return range(min(years), max(years) + 1)


def _within(days: Iterable[date], first: date, last: date) -> set[date]:
    return {day for day in days if first <= day <= last}


def build_calendar(operator_file: Path | str | None) -> WorkCalendar:
    """The platform's calendar: statutory holidays, then the published arrangements, then
    the operator's file (its ``covers`` range, or the span of its dates, replaces the rest).

    The confirmed ranges are the package's years and the file's range; every other year up
    to :data:`LAST_YEAR` is provisional, and later deadlines are refused.
    """
    years = published_years()
    holidays: set[date] = set()
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        if year not in years:
            holidays |= statutory_holidays(year)
    holidays |= set(published.holidays)
    makeup = set(published.workdays)
    spans = [(date(years.start, 1, 1), date(years.stop - 1, 12, 31))]
    name = f"China mainland: published arrangements {years.start}-{years.stop - 1}, statutory after"
    timezone, weekend = DEFAULT_TIMEZONE, frozenset({5, 6})
    if operator_file is not None:
        operator = load_calendar(operator_file)
        timezone, weekend = operator.timezone, operator.weekend
        stated = operator.holidays | operator.makeup_days
        first = operator.covers_from or min(stated, default=None)
        last = operator.covers_to or max(stated, default=None)
        if first is not None and last is not None:
            holidays = (holidays - _within(holidays, first, last)) | set(operator.holidays)
            makeup = (makeup - _within(makeup, first, last)) | set(operator.makeup_days)
            spans.append((first, last))
        name = f"{operator.name or Path(operator_file).name}; {name}"
    # Another weekend (an operator's) may make a published make-up day a plain working day.
    makeup = {day for day in makeup if day.weekday() in weekend}
    return WorkCalendar(
        timezone=timezone,
        holidays=frozenset(holidays - makeup),
        makeup_days=frozenset(makeup),
        weekend=weekend,
        name=name,
        known_to=date(LAST_YEAR, 12, 31),
        confirmed_spans=_merged(spans),
    )


def _merged(spans: list[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """Ranges joined where they touch or overlap, so a deadline across them is confirmed."""
    joined: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if joined and start <= joined[-1][1] + timedelta(days=1):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return tuple(joined)
