"""Reads of the logbook shared by the pages, the exports and the console.

Review pages stay fast on millions of entries: keyset pagination on the
primary key (never OFFSET, never COUNT(*) over the table), a period turned
into an id range (ids and timestamps grow together: both are taken under the
chain head lock), and one index per filter (see the model's Meta).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db.models import QuerySet
from django.utils import timezone

from logbook.models import CheckDefinition, CheckRecord, Handover, LogEntry

PAGE_SIZE = 50


def _int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass
class ReviewFilters:
    """The filters of the review page, of exports and of timelines. Dates are
    local calendar days, both ends included."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    customer: int | None = None
    site: int | None = None
    actor: int | None = None
    category: str = ""
    alarm: int | None = None
    action: str = ""
    q: str = ""

    @classmethod
    def parse(cls, data) -> ReviewFilters:
        from logbook.models import Category

        category = str(data.get("category") or "").strip()
        return cls(
            date_from=_date(data.get("date_from")), date_to=_date(data.get("date_to")),
            customer=_int(data.get("customer")), site=_int(data.get("site")), actor=_int(data.get("actor")),
            category=category if category in Category.values else "",
            alarm=_int(data.get("alarm")), action=str(data.get("action") or "").strip()[:64],
            q=str(data.get("q") or "").strip()[:200],
        )

    def as_params(self) -> dict:
        """JSON- and querystring-friendly (for ExportJob.filters and links)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, ""):
                out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    def is_empty(self) -> bool:
        return not self.as_params()

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        tz = ZoneInfo(settings.TIME_ZONE)
        start = dt.datetime.combine(self.date_from, dt.time.min, tz) if self.date_from else None
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tz) if self.date_to else None
        return start, end


def _id_at(moment: dt.datetime, *, first: bool) -> int | None:
    """The first id at or after ``moment`` (or the last before it), through
    the created_at index."""
    if first:
        row = LogEntry.objects.filter(created_at__gte=moment).order_by("created_at", "id").values_list("id").first()
    else:
        row = LogEntry.objects.filter(created_at__lt=moment).order_by("-created_at", "-id").values_list("id").first()
    return row[0] if row else None


def entries_filtered(filters: ReviewFilters) -> QuerySet[LogEntry]:
    qs = LogEntry.objects.all()
    start, end = filters.bounds()
    if start is not None:
        first = _id_at(start, first=True)
        if first is None:
            return LogEntry.objects.none()
        qs = qs.filter(id__gte=first, created_at__gte=start)
    if end is not None:
        last = _id_at(end, first=False)
        if last is None:
            return LogEntry.objects.none()
        qs = qs.filter(id__lte=last, created_at__lt=end)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    if filters.actor:
        qs = qs.filter(actor_id=filters.actor)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.alarm:
        qs = qs.filter(alarm_id=filters.alarm)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.q:
        qs = qs.filter(search=SearchQuery(filters.q, config="french", search_type="websearch"))
    return qs


@dataclass
class Page:
    entries: list[LogEntry]
    next_cursor: int | None  # pass as ``before`` for the next (older) page


def entries_page(filters: ReviewFilters, *, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Newest first, ``size`` entries older than id ``before``."""
    qs = entries_filtered(filters)
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].pk if more and rows else None)


def timeline(*, alarm: int | None = None, site: int | None = None, after: int | None = None,
             size: int = 200) -> Page:
    """Oldest first: the story of one alarm, or of one site from ``after``."""
    qs = LogEntry.objects.all()
    if alarm:
        qs = qs.filter(alarm_id=alarm)
    elif site:
        qs = qs.filter(site_id=site)
    else:
        return Page([], None)
    if after:
        qs = qs.filter(id__gt=after)
    rows = list(qs.order_by("id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].pk if more and rows else None)


def recent_entries(*, before: int | None = None, size: int = 30, manual_only: bool = False) -> Page:
    qs = LogEntry.objects.all()
    if manual_only:
        qs = qs.filter(action__in=("manual", "correction"))
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    return Page(rows[:size], rows[size - 1].pk if len(rows) > size else None)


def corrections_of(ids: list[int]) -> dict[int, list[LogEntry]]:
    out: dict[int, list[LogEntry]] = {}
    for entry in LogEntry.objects.filter(corrects_id__in=ids).order_by("id"):
        out.setdefault(entry.corrects_id, []).append(entry)
    return out


# --- equipment checks --------------------------------------------------------------------

@dataclass
class CheckStatus:
    definition: CheckDefinition
    period_start: dt.datetime
    due_at: dt.datetime
    last: CheckRecord | None
    done: bool      # done in the current period
    overdue: bool   # not done and past due

    def __str__(self):  # the console's banner prints the check as is
        from django.utils.translation import gettext as _

        due = self.due_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%d/%m %H:%M")
        return _("%(label)s (attendue avant %(due)s)") % {"label": self.definition.label, "due": due}

    def as_dict(self) -> dict:
        out = asdict(self)
        out["definition"] = self.definition.label
        out["last"] = self.last.done_at if self.last else None
        return out


def _period(definition: CheckDefinition, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    day = local.date()
    if definition.frequency == CheckDefinition.Frequency.WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        start = dt.datetime.combine(monday, dt.time.min, tz)
        due_day = monday + dt.timedelta(days=min(definition.due_weekday, 6))
    else:
        start = dt.datetime.combine(day, dt.time.min, tz)
        due_day = day
    return start, dt.datetime.combine(due_day, definition.due_time, tz)


def checks_status(now: dt.datetime | None = None) -> list[CheckStatus]:
    """Every active check with its state in the current period (local days,
    weeks starting on Monday)."""
    now = now or timezone.now()
    definitions = list(CheckDefinition.objects.filter(active=True))
    last_by_def: dict[int, CheckRecord] = {}
    for definition in definitions:
        record = definition.records.order_by("-done_at").first()
        if record is not None:
            last_by_def[definition.pk] = record
    out = []
    for definition in definitions:
        start, due = _period(definition, now)
        last = last_by_def.get(definition.pk)
        done = last is not None and start <= last.done_at <= now + dt.timedelta(minutes=5)
        out.append(CheckStatus(definition, start, due, last, done, not done and now >= due))
    return out


def overdue_checks(now: dt.datetime | None = None) -> list[CheckStatus]:
    """The checks not done in their period and past their due time (the
    console flags them)."""
    return [status for status in checks_status(now) if status.overdue]


# --- handover ----------------------------------------------------------------------------

def handovers_pending_acknowledgement() -> QuerySet[Handover]:
    return Handover.objects.filter(status=Handover.Status.WRITTEN).order_by("written_at")


def handovers_pending_countersignature() -> QuerySet[Handover]:
    return Handover.objects.filter(status=Handover.Status.ACKNOWLEDGED).order_by("written_at")


def handovers_recent(limit: int = 20) -> QuerySet[Handover]:
    return Handover.objects.order_by("-written_at")[:limit]
