"""Export requests: the job row and the logbook line in one transaction, the
worker enqueued on commit (the row is the truth; a lost task is re-sent by
``export_requeue_stale``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from logbook.models import Category, ExportJob
from logbook.selectors import ReviewFilters
from logbook.services import entry_append


def _name(user) -> str:
    return (user.get_full_name() or user.get_username())[:150]


def _describe(filters: ReviewFilters) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.as_params().items()) or "aucun filtre"


def export_request(*, user, fmt: str, filters: ReviewFilters) -> ExportJob:
    if fmt not in ExportJob.Format.values:
        raise ValueError(f"unknown export format {fmt!r}")
    with transaction.atomic():
        job = ExportJob.objects.create(requested_by=user, requested_by_name=_name(user), format=fmt,
                                       filters=filters.as_params())
        entry_append(action="logbook.export_requested", category=Category.SECURITY, actor=user,
                     message=f"Export {fmt.upper()} de la main courante demandé ({_describe(filters)})",
                     new={"job": str(job.pk), "format": fmt, "filters": filters.as_params()})
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id) -> None:
    from logbook.tasks import export_build_task

    export_build_task.delay(str(job_id))


def export_logged(*, user, fmt: str, filters: ReviewFilters, rows: int, head_hash: str) -> None:
    """An export built in the request: the logbook says who took what."""
    with transaction.atomic():
        entry_append(action="logbook.exported", category=Category.SECURITY, actor=user,
                     message=f"Export {fmt.upper()} de la main courante ({rows} entrées ; {_describe(filters)})",
                     new={"format": fmt, "filters": filters.as_params(), "rows": rows, "head_hash": head_hash})


def export_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Re-send jobs still queued after ``older_than`` (their task was lost
    with a worker or a broker restart). Called when the page polls."""
    stale = list(ExportJob.objects.filter(status=ExportJob.Status.QUEUED,
                                          created_at__lt=timezone.now() - older_than).values_list("pk", flat=True))
    for pk in stale:
        _enqueue(pk)
    return len(stale)
