"""Centre side of the portal: the handling-view panel of temporary
instructions (with what changed since the operator's last shift), decisions
on clients' proposals, and the pending list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alarms.models import Alarm
from portal.forms import DecisionForm
from portal.services import last_shift_end
from sites.models import TemporaryInstruction
from sites.roles import is_staff_member
from sites.selectors import instruction_changes_since, instructions_in_force
from sites.services import SiteError
from sites.services_instructions import instruction_decide


def staff_required(view):
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@staff_required
def alarm_instructions(request, alarm_id: int):
    """Panel (htmx) of the handling view: instructions in force, proposals
    waiting for a decision, and every change since the operator's last shift."""
    alarm = get_object_or_404(Alarm.objects.select_related("site"), pk=alarm_id)
    site = alarm.site
    context = {"alarm": alarm, "site": site}
    if site is not None:
        since = last_shift_end(request.user)
        context.update({
            "since": since,
            "in_force": instructions_in_force(site),
            "pending": TemporaryInstruction.objects.filter(site=site, status=TemporaryInstruction.Status.PROPOSED),
            "changes": instruction_changes_since(site, since),
        })
    return render(request, "portal/panel_instructions.html", context)


@staff_required
def instructions_pending(request):
    pending = (TemporaryInstruction.objects.filter(status=TemporaryInstruction.Status.PROPOSED)
               .select_related("site__customer", "supersedes").order_by("proposed_at"))
    return render(request, "portal/instructions_pending.html", {"pending": pending})


@require_POST
@staff_required
def instruction_decision(request, instruction_id: int):
    instruction = get_object_or_404(TemporaryInstruction, pk=instruction_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        instruction_decide(instruction_id=instruction.pk, actor=request.user,
                           accept=bool(form.cleaned_data.get("accept")), note=form.cleaned_data.get("note", ""))
    except SiteError as exc:
        messages.error(request, str(exc))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "portal:instructions_pending"
    return redirect(target)
