"""The supervisor's review: filters, full-text search, timelines, exports."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from logbook import exports
from logbook.access import supervisor_required
from logbook.forms import ExportForm, category_choices
from logbook.models import ExportJob
from logbook.selectors import ReviewFilters, corrections_of, entries_page, timeline
from logbook.services.exports import export_logged, export_request, export_requeue_stale


def _staff_users():
    return get_user_model().objects.filter(is_staff=True).order_by("last_name", "first_name", "username")


def _with_deltas(page):
    """Seconds since the first entry shown: an alarm's story is read in seconds."""
    if page.entries:
        first = page.entries[0].created_at
        for entry in page.entries:
            entry.delta_s = (entry.created_at - first).total_seconds()
    return page


def _before(request) -> int | None:
    try:
        return int(request.GET.get("before", "")) or None
    except ValueError:
        return None


@supervisor_required
@require_GET
def review(request):
    filters = ReviewFilters.parse(request.GET)
    page = entries_page(filters, before=_before(request))
    params = filters.as_params()
    context = {
        "filters": filters, "params": params, "page": page,
        "query": urlencode(params),
        "corrections": corrections_of([e.pk for e in page.entries]),
        "categories": category_choices(), "operators": _staff_users(),
        "export_form": ExportForm(), "is_supervisor": True,
    }
    if request.htmx and request.GET.get("partial") == "rows":
        return render(request, "logbook/_review_rows.html", context)
    return render(request, "logbook/review.html", context)


@supervisor_required
@require_GET
def timeline_alarm(request, alarm_id: int):
    page = _with_deltas(timeline(alarm=alarm_id, after=_before(request)))
    return render(request, "logbook/timeline.html", {"page": page, "alarm_id": alarm_id, "kind": "alarm",
                                                     "corrections": corrections_of([e.pk for e in page.entries])})


@supervisor_required
@require_GET
def timeline_site(request, site_id: int):
    page = _with_deltas(timeline(site=site_id, after=_before(request)))
    return render(request, "logbook/timeline.html", {"page": page, "site_id": site_id, "kind": "site",
                                                     "corrections": corrections_of([e.pk for e in page.entries])})


@supervisor_required
@require_POST
def export_create(request):
    form = ExportForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("format")
    fmt = form.cleaned_data["format"]
    filters = ReviewFilters.parse(request.POST)
    if exports.can_build_inline(filters):
        data, proof, rows = exports.build_inline(fmt, filters)
        export_logged(user=request.user, fmt=fmt, filters=filters, rows=rows,
                      head_hash=proof.verification.head_hash)
        response = HttpResponse(data, content_type="text/csv; charset=utf-8" if fmt == "csv" else "application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{exports.file_name(fmt, filters)}"'
        return response
    job = export_request(user=request.user, fmt=fmt, filters=filters)
    return redirect("logbook:export_status", pk=job.pk)


def _job_for(request, pk) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk)
    # Exports hold the whole logbook's data: only the supervisor who asked, or an administrator.
    if job.requested_by_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    return job


@supervisor_required
@require_GET
def export_status(request, pk):
    job = _job_for(request, pk)
    if job.status == ExportJob.Status.QUEUED:
        export_requeue_stale()
    template = "logbook/_export_progress.html" if request.htmx else "logbook/export_status.html"
    back = reverse("logbook:review") + ("?" + urlencode(job.filters) if job.filters else "")
    return render(request, template, {"job": job, "back": back})


@supervisor_required
@require_GET
def export_download(request, pk):
    job = _job_for(request, pk)
    path = exports.export_path(job)
    if job.status != ExportJob.Status.DONE or not path.exists():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.file_name,
                        content_type="text/csv; charset=utf-8" if job.format == "csv" else "application/pdf")
