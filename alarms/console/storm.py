"""Storm mode for supervisors: pick a preset, confirm (two clicks); end it;
the list of what it auto-logged."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alarms.console.access import staff_required, supervisor_required
from alarms.models import Category, StormRule
from alarms.selectors import storm_logged as read_storm_logged
from alarms.services.lifecycle import AlarmError
from alarms.services.storm import PRESETS, storm_rule_create, storm_rule_end
from alarms.storm import active_rules
from sites.models import Customer, Site
from sites.roles import is_supervisor


@staff_required
def storm(request):
    now = timezone.now()
    regions = sorted(r for r in Site.objects.exclude(region="").values_list("region", flat=True).distinct())
    return render(request, "alarms/console/storm.html", {
        "rules": list(active_rules(now).select_related("customer", "created_by")),
        "recent": list(StormRule.objects.filter(starts_at__gte=now - timezone.timedelta(days=2))
                       .select_related("customer", "created_by")[:20]),
        "presets": PRESETS, "categories": Category.choices, "regions": regions,
        "customers": Customer.objects.filter(active=True).order_by("name"),
        "can_storm": is_supervisor(request.user), "now": now,
    })


def _back(request) -> str:
    return "alarms:console" if request.POST.get("next") == "console" else "alarms:storm"


@supervisor_required
@require_POST
def storm_start(request):
    preset = PRESETS.get(request.POST.get("preset", ""))
    categories = request.POST.getlist("categories") or (preset["categories"] if preset else [])
    customer = Customer.objects.filter(pk=request.POST.get("customer") or None).first()
    try:
        rule = storm_rule_create(
            supervisor=request.user, categories=categories,
            minutes=request.POST.get("minutes") or (preset["minutes"] if preset else 30),
            min_priority=request.POST.get("min_priority") or (preset["min_priority"] if preset else 4),
            customer=customer, region=request.POST.get("region", ""), reason=request.POST.get("reason", ""))
    except AlarmError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Mode tempête actif jusqu'à %(t)s.") % {
            "t": timezone.localtime(rule.ends_at).strftime("%H:%M")})
    return redirect(_back(request))


@supervisor_required
@require_POST
def storm_end(request, pk: int):
    try:
        storm_rule_end(supervisor=request.user, rule=get_object_or_404(StormRule, pk=pk))
    except AlarmError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Règle de mode tempête arrêtée."))
    return redirect(_back(request))


@staff_required
def storm_logged(request):
    return render(request, "alarms/console/storm_logged.html", {"events": list(read_storm_logged())})
