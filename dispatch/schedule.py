"""Opening hours as instants: a site's expected open windows, in its own time
zone, with public holidays and temporary exceptions; and the next check.

Local wall-clock times become instants through ``zoneinfo``. On the spring
DST night a time that does not exist (02:30 in Paris) is read with the offset
before the change, i.e. one hour later in wall-clock terms (03:30 CEST); on
the autumn night an ambiguous time (02:30 twice) is its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sites.models import OpeningHours, PublicHoliday, ScheduleException, Site

UTC = dt.UTC
HORIZON_DAYS = 9
MAX_DAYS = 62


@dataclass(frozen=True)
class Window:
    opens: dt.datetime  # UTC
    closes: dt.datetime  # UTC


@dataclass(frozen=True)
class Check:
    at: dt.datetime
    kind: str  # "open" | "close"
    window: Window


def instant(day: dt.date, at: dt.time, tz) -> dt.datetime:
    return dt.datetime.combine(day, at).replace(tzinfo=tz).astimezone(UTC)


class Calendar:
    """A site's schedule data, read once."""

    def __init__(self, site: Site):
        self.site = site
        self.tz = site.tz
        self.hours = list(OpeningHours.objects.filter(site=site))
        self.exceptions = list(ScheduleException.objects.filter(site=site).order_by("start_date", "id"))
        self.holidays = set(PublicHoliday.objects.values_list("date", flat=True)) \
            if site.closed_on_public_holidays else set()

    def windows_on(self, day: dt.date) -> list[Window]:
        exception = None
        for candidate in self.exceptions:
            if candidate.start_date <= day <= candidate.end_date:
                exception = candidate  # the latest-starting exception wins
        if exception is not None:
            if exception.closed or not (exception.opens_at and exception.closes_at):
                return []
            return [Window(instant(day, exception.opens_at, self.tz), instant(day, exception.closes_at, self.tz))]
        if day in self.holidays:
            return []
        return [Window(instant(day, h.opens_at, self.tz), instant(day, h.closes_at, self.tz))
                for h in sorted(self.hours, key=lambda h: h.opens_at) if h.weekday == day.weekday()]

    def windows_around(self, moment: dt.datetime, days_before: int = 1, days_after: int = HORIZON_DAYS):
        today = moment.astimezone(self.tz).date()
        for offset in range(-days_before, days_after + 1):
            yield from self.windows_on(today + dt.timedelta(days=offset))

    def next_check(self, after: dt.datetime) -> Check | None:
        """The first opening or closing check strictly after ``after`` (looking up to
        ``MAX_DAYS`` ahead: a long closure for holidays has no check at all)."""
        open_tol = dt.timedelta(minutes=self.site.open_tolerance_minutes)
        close_tol = dt.timedelta(minutes=self.site.close_tolerance_minutes)
        today = after.astimezone(self.tz).date()
        for offset in range(-1, MAX_DAYS):
            checks = []
            for window in self.windows_on(today + dt.timedelta(days=offset)):
                checks.append(Check(window.opens + open_tol, "open", window))
                checks.append(Check(window.closes + close_tol, "close", window))
            upcoming = sorted((c for c in checks if c.at > after), key=lambda c: c.at)
            if upcoming:
                return upcoming[0]
        return None

    def window_at(self, moment: dt.datetime, *, early: dt.timedelta = dt.timedelta(0)) -> Window | None:
        """The window that ``moment`` falls in (opening ``early`` before its start counts)."""
        for window in self.windows_around(moment, days_before=1, days_after=1):
            if window.opens - early <= moment < window.closes:
                return window
        return None

    def has_hours(self) -> bool:
        return bool(self.hours) or any(not e.closed for e in self.exceptions)
