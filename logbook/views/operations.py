"""Shift handover and equipment checks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logbook.access import is_supervisor, staff_required
from logbook.forms import CheckForm, HandoverForm, RemarksForm
from logbook.handover import collect_sections
from logbook.selectors import (
    checks_status,
    handovers_pending_acknowledgement,
    handovers_pending_countersignature,
    handovers_recent,
)
from logbook.services.checks import CheckError, check_record
from logbook.services.shifts import (
    HandoverError,
    handover_acknowledge,
    handover_countersign,
    handover_write,
    open_shift,
    shift_start,
)


@staff_required
@require_GET
def handover(request):
    return render(request, "logbook/handover.html", {
        "shift": open_shift(request.user),
        "form": HandoverForm(),
        "sections": collect_sections(request.user),
        "to_acknowledge": handovers_pending_acknowledgement(),
        "to_countersign": handovers_pending_countersignature(),
        "recent": handovers_recent(),
        "remarks_form": RemarksForm(),
        "is_supervisor": is_supervisor(request.user),
    })


@staff_required
@require_POST
def shift_start_view(request):
    shift_start(operator=request.user)
    messages.success(request, _("Prise de poste enregistrée."))
    return redirect("logbook:handover")


@staff_required
@require_POST
def handover_write_view(request):
    form = HandoverForm(request.POST)
    if form.is_valid():
        try:
            handover_write(operator=request.user, notes=form.cleaned_data["notes"])
            messages.success(request, _("Relève enregistrée. Elle attend la prise en compte de l'opérateur entrant."))
        except HandoverError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Les consignes de relève sont obligatoires."))
    return redirect("logbook:handover")


@staff_required
@require_POST
def handover_acknowledge_view(request, pk: int):
    form = RemarksForm(request.POST)
    form.is_valid()
    try:
        handover_acknowledge(handover_id=pk, operator=request.user, remarks=form.cleaned_data.get("remarks", ""))
        messages.success(request, _("Relève prise en compte ; votre poste commence."))
    except HandoverError as exc:
        messages.error(request, str(exc))
    return redirect("logbook:handover")


@staff_required
@require_POST
def handover_countersign_view(request, pk: int):
    if not is_supervisor(request.user):
        raise PermissionDenied
    form = RemarksForm(request.POST)
    form.is_valid()
    try:
        handover_countersign(handover_id=pk, supervisor=request.user, remarks=form.cleaned_data.get("remarks", ""))
        messages.success(request, _("Relève contresignée."))
    except HandoverError as exc:
        messages.error(request, str(exc))
    return redirect("logbook:handover")


@staff_required
@require_GET
def checks(request):
    return render(request, "logbook/checks.html", {"statuses": checks_status(), "form": CheckForm()})


@staff_required
@require_POST
def check_tick(request, pk: int):
    form = CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Résultat manquant."))
        return redirect("logbook:checks")
    try:
        record = check_record(definition_id=pk, operator=request.user, result=form.cleaned_data["result"],
                              remarks=form.cleaned_data["remarks"])
        messages.success(request, _("Vérification « %(label)s » enregistrée.") % {"label": record.definition.label})
    except CheckError as exc:
        messages.error(request, str(exc))
    return redirect("logbook:checks")
