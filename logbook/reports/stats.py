"""Response-time figures, computed from the logbook alone.

An alarm's story is read from three actions written by INTAKE and CONSOLE
(docs/logbook.md): ``alarm.created`` (new_values: priority, category; site
and customer references), ``alarm.taken`` (the first take: new_values
first=true, else the earliest take) and ``alarm.closed`` (new_values:
qualification; "false_alarm" is a false alarm). Response time = first take −
creation; handling time = closing − creation.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

THRESHOLDS = (30, 60, 180)
FALSE_ALARM = "false_alarm"

_SQL = """
WITH created AS (
    SELECT DISTINCT ON (alarm_id) alarm_id, created_at, new_values, customer_id, customer_label,
           site_id, site_label
    FROM logbook_logentry
    WHERE action = 'alarm.created' AND created_at >= %(start)s AND created_at < %(end)s
      AND alarm_id IS NOT NULL
    ORDER BY alarm_id, id
), taken AS (
    SELECT DISTINCT ON (t.alarm_id) t.alarm_id, t.created_at, t.actor_id, t.actor_name
    FROM logbook_logentry t JOIN created c ON c.alarm_id = t.alarm_id
    WHERE t.action = 'alarm.taken'
    ORDER BY t.alarm_id, (COALESCE(t.new_values->>'first', 'false') = 'true') DESC, t.id
), closed AS (
    SELECT DISTINCT ON (t.alarm_id) t.alarm_id, t.created_at, t.new_values->>'qualification' AS qualification
    FROM logbook_logentry t JOIN created c ON c.alarm_id = t.alarm_id
    WHERE t.action = 'alarm.closed'
    ORDER BY t.alarm_id, t.id DESC
)
SELECT c.alarm_id, c.created_at, c.new_values->>'priority', c.new_values->>'category',
       c.customer_id, c.customer_label, c.site_id, c.site_label,
       t.created_at, t.actor_id, t.actor_name, x.created_at, x.qualification
FROM created c LEFT JOIN taken t ON t.alarm_id = c.alarm_id LEFT JOIN closed x ON x.alarm_id = c.alarm_id
"""


@dataclass
class AlarmFacts:
    alarm_id: int
    created_at: dt.datetime
    priority: str
    category: str
    customer_id: int | None
    customer_label: str
    site_id: int | None
    site_label: str
    taken_at: dt.datetime | None
    operator_id: int | None
    operator_name: str
    closed_at: dt.datetime | None
    qualification: str

    @property
    def response_s(self) -> float | None:
        return (self.taken_at - self.created_at).total_seconds() if self.taken_at else None

    @property
    def handling_s(self) -> float | None:
        return (self.closed_at - self.created_at).total_seconds() if self.closed_at else None


def alarm_facts(start: dt.datetime, end: dt.datetime, *, customer_id: int | None = None) -> list[AlarmFacts]:
    sql = _SQL
    params = {"start": start, "end": end}
    if customer_id is not None:
        sql = sql.replace("AND alarm_id IS NOT NULL", "AND alarm_id IS NOT NULL AND customer_id = %(customer)s")
        params["customer"] = customer_id
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        AlarmFacts(r[0], r[1], str(r[2] or "?"), str(r[3] or "?"), r[4], r[5] or "", r[6], r[7] or "",
                   r[8], r[9], r[10] or "", r[11], r[12] or "")
        for r in rows
    ]


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Group:
    """Figures for one slice (a priority, a category, an operator…)."""

    key: str
    label: str
    alarms: int = 0
    taken: int = 0
    within: dict = field(default_factory=lambda: dict.fromkeys(THRESHOLDS, 0))
    responses: list = field(default_factory=list)
    handlings: list = field(default_factory=list)
    closed: int = 0
    false_alarms: int = 0

    def add(self, fact: AlarmFacts) -> None:
        self.alarms += 1
        response = fact.response_s
        if response is not None:
            self.taken += 1
            self.responses.append(response)
            for threshold in THRESHOLDS:
                if response <= threshold:
                    self.within[threshold] += 1
        if fact.handling_s is not None:
            self.closed += 1
            self.handlings.append(fact.handling_s)
            if fact.qualification == FALSE_ALARM:
                self.false_alarms += 1

    def share(self, threshold: int) -> float | None:
        """Share of alarms taken within ``threshold`` seconds, over all
        alarms of the slice (an alarm not yet taken counts against it)."""
        return 100.0 * self.within[threshold] / self.alarms if self.alarms else None

    @property
    def false_rate(self) -> float | None:
        return 100.0 * self.false_alarms / self.closed if self.closed else None

    def response_p(self, p: float) -> float | None:
        return percentile(self.responses, p)

    def handling_p(self, p: float) -> float | None:
        return percentile(self.handlings, p)


def group_by(facts: list[AlarmFacts], key) -> list[Group]:
    groups: dict[str, Group] = {}
    for fact in facts:
        k, label = key(fact)
        group = groups.get(k)
        if group is None:
            group = groups[k] = Group(k, label)
        group.add(fact)
    return sorted(groups.values(), key=lambda g: (-g.alarms, g.label))


DIMENSIONS = {
    "priority": lambda f: (f.priority, f"P{f.priority}"),
    "category": lambda f: (f.category, f.category),
    "operator": lambda f: (str(f.operator_id or ""), f.operator_name or "—"),
    "customer": lambda f: (str(f.customer_id or ""), f.customer_label or "—"),
    "site": lambda f: (str(f.site_id or ""), f.site_label or "—"),
}


def operator_hours(start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Hours of presence per operator: distinct clock hours in which the
    operator wrote at least one logbook entry (the logbook is all we read)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT actor_id, count(DISTINCT date_trunc('hour', created_at)) FROM logbook_logentry "
            "WHERE actor_kind = 'user' AND actor_id IS NOT NULL AND created_at >= %s AND created_at < %s "
            "GROUP BY actor_id", [start, end])
        return dict(cursor.fetchall())


# --- windows -------------------------------------------------------------------------------

WINDOWS = ("hour", "shift", "day", "month")


def window_bounds(name: str, *, now: dt.datetime | None = None, shift_hours: list[int] | None = None
                  ) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    if name == "hour":
        return now - dt.timedelta(hours=1), now
    if name == "day":
        return dt.datetime.combine(local.date(), dt.time.min, tz), now
    if name == "month":
        return dt.datetime.combine(local.date().replace(day=1), dt.time.min, tz), now
    if name == "shift":
        hours = sorted(shift_hours or [6, 14, 22])
        starts = [h for h in hours if h <= local.hour]
        if starts:
            start = dt.datetime.combine(local.date(), dt.time(starts[-1]), tz)
        else:
            start = dt.datetime.combine(local.date() - dt.timedelta(days=1), dt.time(hours[-1]), tz)
        return start, now
    raise ValueError(name)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def false_alarm_sites(facts: list[AlarmFacts], *, threshold: int, min_alarms: int) -> list[Group]:
    """Sites whose false-alarm rate (over closed alarms) is above the threshold."""
    sites = group_by([f for f in facts if f.site_id], DIMENSIONS["site"])
    flagged = [g for g in sites if g.closed >= min_alarms and (g.false_rate or 0) > threshold]
    return sorted(flagged, key=lambda g: (-(g.false_rate or 0), -g.closed))


def collect(*, start: dt.datetime, end: dt.datetime, targets) -> dict:
    """Everything the dashboard shows for one window."""
    facts = alarm_facts(start, end)
    overall = Group("all", "all")
    for fact in facts:
        overall.add(fact)
    hours = operator_hours(start, end)
    workload = []
    for group in group_by([f for f in facts if f.operator_id], DIMENSIONS["operator"]):
        h = hours.get(int(group.key), 0) or 1
        workload.append({"label": group.label, "alarms": group.alarms, "hours": h, "per_hour": group.alarms / h})
    return {
        "start": start, "end": end, "overall": overall,
        "groups": {name: group_by(facts, DIMENSIONS[name]) for name in ("priority", "category", "operator",
                                                                         "customer")},
        "workload": workload,
        "false_sites": false_alarm_sites(facts, threshold=targets.false_alarm_threshold,
                                         min_alarms=targets.false_alarm_min_alarms),
        "site_rates": group_by([f for f in facts if f.site_id], DIMENSIONS["site"]),
    }
