"""The operator's main courante: quick manual entries, recent entries,
corrections, and the site/customer picker."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logbook import lookups
from logbook.access import is_supervisor, staff_required
from logbook.forms import CorrectionForm, ManualEntryForm
from logbook.models import LogEntry
from logbook.selectors import (
    corrections_of,
    handovers_pending_acknowledgement,
    overdue_checks,
    recent_entries,
)
from logbook.services import entry_correct, manual_entry_create


def _recent_context(request, before=None):
    manual_only = request.GET.get("manual") == "1"
    page = recent_entries(before=before, size=30, manual_only=manual_only)
    return {"page": page, "corrections": corrections_of([e.pk for e in page.entries]),
            "manual_only": manual_only}


@staff_required
@require_GET
def home(request):
    context = _recent_context(request)
    context.update({
        "form": ManualEntryForm(initial={"category": "call"}),
        "overdue": overdue_checks(),
        "pending_handovers": handovers_pending_acknowledgement()[:5],
        "lookup_enabled": lookups.registered(),
        "is_supervisor": is_supervisor(request.user),
    })
    return render(request, "logbook/home.html", context)


@staff_required
@require_GET
def entries_more(request):
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        return HttpResponseBadRequest("before")
    context = _recent_context(request, before)
    context["is_supervisor"] = is_supervisor(request.user)
    return render(request, "logbook/_entry_rows.html", context)


def _resolve_refs(request, data) -> tuple:
    site = customer = None
    if data.get("site_id"):
        site = lookups.resolve(request.user, "site", data["site_id"], data.get("site_label", ""))
        if site is None:
            return None, None, _("Site inconnu ou non autorisé.")
        if site.customer_id:
            customer = lookups.Ref("customer", site.customer_id, site.customer_label)
    if customer is None and data.get("customer_id"):
        customer = lookups.resolve(request.user, "customer", data["customer_id"], data.get("customer_label", ""))
        if customer is None:
            return None, None, _("Client inconnu ou non autorisé.")
    return site, customer, None


@staff_required
@require_POST
def entry_create(request):
    form = ManualEntryForm(request.POST)
    created = None
    if form.is_valid():
        data = form.cleaned_data
        site, customer, error = _resolve_refs(request, data)
        if error:
            form.add_error(None, error)
        else:
            created = manual_entry_create(
                author=request.user, category=data["category"], message=data["message"],
                site=(site.pk, site.label) if site else None,
                customer=(customer.pk, customer.label) if customer else None,
                alarm=(data["alarm_id"], f"Alarme n° {data['alarm_id']}") if data.get("alarm_id") else None,
            )
            # Keep the category and the site: the next line is often about the same call.
            form = ManualEntryForm(initial={
                "category": data["category"], "site_id": site.pk if site else None,
                "site_label": site.label if site else "", "customer_id": customer.pk if customer else None,
                "customer_label": customer.label if customer else ""})
    if not request.htmx:
        if created:
            messages.success(request, _("Entrée n° %(id)s enregistrée.") % {"id": created.pk})
        else:
            messages.error(request, _("Entrée non enregistrée : %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("logbook:home")
    # 200 even with errors: htmx swaps only 2xx, and the form must show them.
    return render(request, "logbook/_entry_form_response.html",
                  {"form": form, "created": created, "lookup_enabled": lookups.registered(),
                   "is_supervisor": is_supervisor(request.user)})


@staff_required
@require_http_methods(["GET", "POST"])
def entry_correct_view(request, pk: int):
    entry = get_object_or_404(LogEntry, pk=pk)
    # An operator corrects their own lines; a supervisor may annotate any line.
    if entry.actor_id != request.user.pk and not is_supervisor(request.user):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("cancel"):
        return render(request, "logbook/_entry_row.html", {
            "entry": entry, "corrections": corrections_of([entry.pk]), "is_supervisor": is_supervisor(request.user)})
    if request.method == "GET":
        return render(request, "logbook/_correct_form.html",
                      {"entry": entry, "form": CorrectionForm(initial={"message": entry.message})})
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return render(request, "logbook/_correct_form.html", {"entry": entry, "form": form})
    correction = entry_correct(author=request.user, entry=entry, message=form.cleaned_data["message"])
    return render(request, "logbook/_entry_row.html", {
        "entry": entry, "corrections": corrections_of([entry.pk]), "just_corrected": correction,
        "is_supervisor": is_supervisor(request.user)})


@staff_required
@require_GET
def lookup(request):
    query = request.GET.get("q", "")
    return render(request, "logbook/_lookup.html",
                  {"results": lookups.search(request.user, query, 10), "q": query})
