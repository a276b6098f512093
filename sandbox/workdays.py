"""Working days: weekends, public holidays and make-up working days, loaded from a file.

Every deadline of the access workflow (form review in 5 working days, provider review in
10, opening in 20) is counted with a :class:`WorkCalendar`. Counting follows the usual rule
of administrative time limits: the day an item arrives is not counted, so a deadline of
``n`` working days falls on the ``n``-th working day *after* that day, and it is met if the
item is handled by the end of that day in the calendar's time zone.

A day is a working day when it is a make-up working day (a weekend day worked in exchange
for a holiday), or else when it is neither a weekend day nor a public holiday. Where the
holidays come from, and which years are only provisional (statutory holidays known, the
year's make-up days not yet published), is :mod:`sandbox.holiday_sources`; a deadline that
runs into a provisional year says so (:attr:`TimeLeft.provisional`), and one past every
year the calendar knows is refused (:class:`~sandbox.errors.CalendarExhausted`).

The calendar itself is pure: dates in, dates out. :func:`load_calendar` reads the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sandbox.errors import CalendarExhausted, InvalidRequest

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Weekday names as the calendar file spells them (``date.weekday()`` order)."""

MAX_WORKING_DAYS = 3660
"""Largest ``n`` accepted by :meth:`WorkCalendar.add_working_days` (about 14 years)."""


@dataclass(frozen=True)
class TimeLeft:
    """How much time a deadline leaves on a given day."""

    due_on: date
    """The last day on which the deadline is met (in the calendar's time zone)."""
    working_days_left: int
    """Working days after today up to and including ``due_on``; 0 means due today.
    Negative when overdue: minus the working days since ``due_on``."""
    overdue: bool
    """Whether ``due_on`` has passed."""
    provisional: bool = False
    """Whether days up to ``due_on`` lie outside the confirmed holiday arrangements (only the
    statutory holidays are known there, so a make-up working day may still move it)."""

    def describe(self) -> str:
        """A short phrase for people: ``3 working days left``, ``overdue by 2 working days``
        (with ``, provisional`` when the year's arrangement is not confirmed).
        """
        phrase = self._phrase()
        return (
            f"{phrase} (provisional: holiday arrangement not yet confirmed)"
            if (self.provisional and not self.overdue)
            else phrase
        )

    def _phrase(self) -> str:
        if self.overdue:
            late = -self.working_days_left
            if late == 0:
                return f"overdue (was due {self.due_on.isoformat()})"
            return f"overdue by {late} working day{'s' if late != 1 else ''}"
        if self.working_days_left == 0:
            return "due today"
        n = self.working_days_left
        return f"{n} working day{'s' if n != 1 else ''} left"


@dataclass(frozen=True)
class WorkCalendar:
    """A working-day calendar (see the module docstring for the counting rule)."""

    timezone: str = "UTC"
    """IANA time zone in which days begin and end (``Asia/Shanghai``)."""
    holidays: frozenset[date] = field(default_factory=frozenset)
    """Public holidays, including the weekend days inside a holiday period."""
    makeup_days: frozenset[date] = field(default_factory=frozenset)
    """Weekend days that are working days (调休上班)."""
    weekend: frozenset[int] = frozenset({5, 6})
    """Weekdays off, as ``date.weekday()`` numbers (Saturday 5, Sunday 6)."""
    name: str = ""
    """What the calendar is, for people."""
    covers_from: date | None = None
    """First day whose holidays the file lists (``None``: not stated)."""
    covers_to: date | None = None
    """Last day whose holidays the file lists (``None``: not stated)."""
    known_to: date | None = None
    """Last day the calendar can count at all (``None``: no limit, weekends past the file);
    a deadline beyond it is refused."""
    confirmed_spans: tuple[tuple[date, date], ...] = ()
    """Further ranges whose arrangement is confirmed, beside ``covers_from``-``covers_to``."""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRequest(
                f"calendar time zone {self.timezone!r} is not a known IANA time zone"
            ) from None
        if not self.weekend <= set(range(7)) or len(self.weekend) > 6:
            raise InvalidRequest("calendar weekend days must be weekdays 0-6, at most six")
        both = sorted(self.holidays & self.makeup_days)
        if both:
            raise InvalidRequest(
                f"{both[0].isoformat()} is listed both as a holiday and as a make-up working day"
            )
        for day in sorted(self.makeup_days):
            if day.weekday() not in self.weekend:
                raise InvalidRequest(
                    f"make-up working day {day.isoformat()} is a "
                    f"{WEEKDAYS[day.weekday()]}, not a weekend day"
                )
        if self.covers_from and self.covers_to and self.covers_from > self.covers_to:
            raise InvalidRequest("the calendar's coverage ends before it starts")

    # ---- days ------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.makeup_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def covers(self, day: date) -> bool:
        """Whether the holidays of ``day`` are confirmed (else only statutory or weekends)."""
        return self.confirms(day, day)

    def confirms(self, first: date, last: date) -> bool:
        """Whether every day from ``first`` to ``last`` lies in one confirmed range."""
        spans = list(self.confirmed_spans)
        if self.covers_from is not None and self.covers_to is not None:
            spans.append((self.covers_from, self.covers_to))
        return any(start <= first and last <= end for start, end in spans)

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted).

        ``n == 0`` returns ``start``. Raises :class:`InvalidRequest` for a negative or
        absurdly large ``n``.
        """
        if type(n) is not int or not 0 <= n <= MAX_WORKING_DAYS:
            raise InvalidRequest(
                f"a number of working days must be an integer from 0 to {MAX_WORKING_DAYS}"
            )
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        if self.known_to is not None and day > self.known_to:
            raise CalendarExhausted(
                f"a deadline of {n} working days from {start.isoformat()} falls after "
                f"{self.known_to.isoformat()}, the last day the working-day calendar knows"
            )
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative (those in ``(end, start]``) if
        ``end < start``. So ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        span = (end - start).days
        weeks, rest = divmod(span, 7)
        count = weeks * (7 - len(self.weekend))
        tail_start = start + timedelta(days=weeks * 7)
        count += sum(
            1
            for i in range(1, rest + 1)
            if (tail_start + timedelta(days=i)).weekday() not in self.weekend
        )
        count -= sum(
            1 for h in self.holidays if start < h <= end and h.weekday() not in self.weekend
        )
        count += sum(1 for m in self.makeup_days if start < m <= end)
        return count

    # ---- moments ---------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime) -> date:
        """The calendar day of ``moment`` (a naive moment is taken as UTC)."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).date()

    def start_of_day(self, day: date) -> datetime:
        """The first moment of ``day`` in the calendar's zone, in UTC."""
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def end_of_day(self, day: date) -> datetime:
        """The first moment after ``day`` in the calendar's zone, in UTC (exclusive end)."""
        return self.start_of_day(day + timedelta(days=1))

    def due_date(self, received: datetime, working_days: int) -> date:
        """The last day of a deadline of ``working_days`` for an item received at
        ``received``.
        """
        return self.add_working_days(self.local_date(received), working_days)

    def time_left(self, due_on: date, now: datetime) -> TimeLeft:
        """What a deadline due on ``due_on`` leaves at ``now``."""
        today = self.local_date(now)
        if today <= due_on:
            provisional = not self.confirms(today, due_on)
            left = self.working_days_between(today, due_on)
            return TimeLeft(due_on, left, overdue=False, provisional=provisional)
        late = -self.working_days_between(due_on, today)
        return TimeLeft(due_on, late, overdue=True, provisional=not self.confirms(due_on, today))


# ---- the file -------------------------------------------------------------------------------

_TOP_KEYS = frozenset(
    {"name", "timezone", "weekend", "covers", "holidays", "make_up_working_days", "note", "source"}
)


def _as_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        raise InvalidRequest(f"{where} must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidRequest(f"{where} must be a date written YYYY-MM-DD, not {value!r}")


def _days(entries: object, where: str) -> set[date]:
    """Dates of a list whose items are ``{date: D}`` or ``{from: D1, to: D2}`` (plus a name)."""
    if entries is None:
        return set()
    if not isinstance(entries, list):
        raise InvalidRequest(f"{where} must be a list")
    days: set[date] = set()
    for index, entry in enumerate(entries):
        label = f"{where}[{index}]"
        if not isinstance(entry, Mapping):
            days.add(_as_date(entry, label))
            continue
        unknown = set(entry) - {"name", "date", "from", "to"}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise InvalidRequest(f"{label} has unknown fields: {names}")
        if "date" in entry:
            if "from" in entry or "to" in entry:
                raise InvalidRequest(f"{label} gives both a date and a range")
            days.add(_as_date(entry["date"], f"{label}.date"))
            continue
        if "from" not in entry or "to" not in entry:
            raise InvalidRequest(f"{label} needs a date, or from and to")
        first, last = _as_date(entry["from"], f"{label}.from"), _as_date(entry["to"], f"{label}.to")
        if last < first or (last - first).days > 366:
            raise InvalidRequest(f"{label} must run forwards and span at most a year")
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return days


def _weekend(value: object) -> frozenset[int]:
    if value is None:
        return frozenset({5, 6})
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest(f"weekend must be a list of weekday names ({', '.join(WEEKDAYS)})")
    days = set()
    for name in value:
        if name.strip().lower() not in WEEKDAYS:
            raise InvalidRequest(f"weekend day {name!r} is not one of: {', '.join(WEEKDAYS)}")
        days.add(WEEKDAYS.index(name.strip().lower()))
    return frozenset(days)


def parse_calendar(data: Mapping[str, Any]) -> WorkCalendar:
    """Build a calendar from the mapping a calendar file holds (see the shipped file)."""
    if not isinstance(data, Mapping):
        raise InvalidRequest("a calendar file must hold a mapping of fields")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise InvalidRequest(
            f"unknown calendar fields: {', '.join(sorted(map(str, unknown)))}; "
            f"a calendar holds: {', '.join(sorted(_TOP_KEYS))}"
        )
    covers = data.get("covers") or {}
    if not isinstance(covers, Mapping):
        raise InvalidRequest("covers must be a mapping with from and to")
    return WorkCalendar(
        timezone=str(data.get("timezone", "UTC")),
        holidays=frozenset(_days(data.get("holidays"), "holidays")),
        makeup_days=frozenset(_days(data.get("make_up_working_days"), "make_up_working_days")),
        weekend=_weekend(data.get("weekend")),
        name=str(data.get("name", "")),
        covers_from=_as_date(covers["from"], "covers.from") if "from" in covers else None,
        covers_to=_as_date(covers["to"], "covers.to") if "to" in covers else None,
    )


def load_calendar(path: Path | str) -> WorkCalendar:
    """Read a calendar file (YAML, or JSON when it ends in ``.json``).

    Raises:
        InvalidRequest: The file cannot be read or is malformed; the message names the file.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
        data = json.loads(text) if source.suffix.lower() == ".json" else yaml.safe_load(text)
        return parse_calendar(data)
    except OSError as exc:
        raise InvalidRequest(f"cannot read the working-day calendar {source}: {exc}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidRequest(f"the working-day calendar {source} is not valid: {exc}") from None
    except InvalidRequest as exc:
        raise InvalidRequest(
            f"the working-day calendar {source} is not valid: {exc.message}"
        ) from None


def calendar_of(
    days: Iterable[date] = (), makeup: Iterable[date] = (), *, timezone: str = "UTC"
) -> WorkCalendar:
    """A calendar from plain date lists (for tests and scripts)."""
    return WorkCalendar(timezone=timezone, holidays=frozenset(days), makeup_days=frozenset(makeup))
