"""The live queue: the page, its snapshot, the feed read by id, and taking
an alarm from the queue (JSON for the console's script)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alarms import selectors
from alarms.console.access import staff_required
from alarms.models import Category
from alarms.presence import presence_of
from alarms.services.lifecycle import AlarmError, AlarmTaken, alarm_take
from alarms.storm import active_rules
from sites.roles import OPERATOR, is_supervisor


def overdue_checks() -> list:
    """The centre's own equipment checks that are late (LOGBOOK), if available."""
    try:
        from logbook.selectors import overdue_checks as read
    except ImportError:
        return []
    try:
        return list(read())
    except Exception:  # a broken read there must never take the queue down
        return []


def console_config(request) -> dict:
    user = request.user
    return {
        "user": user.pk,
        "userName": user.get_full_name() or user.get_username(),
        "supervisor": is_supervisor(user),
        "ws": "/ws/console/",
        "snapshot": reverse("alarms:console_snapshot"),
        "events": reverse("alarms:console_events"),
        "takeUrl": reverse("alarms:alarm_take", args=[0]),
        "alarmUrl": reverse("alarms:alarm", args=[0]),
        "health": "/health/",
        "ageing": selectors.ageing_thresholds(),
    }


def console_strings() -> dict:
    """The words the console's script shows, translated here (no i18n in the browser)."""
    return {
        "title": _("Console"), "me": _("moi"), "until": _("jusqu'à"), "zone": _("zone"), "open": _("Ouvrir"),
        "take": _("Prendre"), "takeOver": _("Reprendre"), "empty": _("Aucune alarme dans ce filtre."),
        "failed": _("L'action a échoué."), "mute": _("Couper le son (5 min)"), "muted": _("Son coupé"),
        "abandonedWarning": _("La console de %s est inactive ou fermée. Reprendre cette alarme ?"),
        "supervisorWarning": _("Vous êtes chef de salle : reprendre l'alarme de %s ?"),
        "holdWarning": _("%s a mis cette alarme en attente. La reprendre maintenant ?"),
        "feedDown": _("FLUX TEMPS RÉEL COUPÉ — la file est relue toutes les 2 s ; reconnexion en cours…"),
        "serverDown": _("SERVEUR INJOIGNABLE — la file affichée peut être incomplète ; reconnexion en cours…"),
        "sessionEnded": _("Session terminée : reconnectez-vous."),
        "live": _("temps réel"), "polling": _("interrogation"),
        "centreDown": _("CENTRE HORS SERVICE :"), "centreDegraded": _("Centre en mode dégradé :"),
    }


@staff_required
@require_GET
def console(request):
    return render(request, "alarms/console/queue.html", {
        "config": console_config(request),
        "strings": console_strings(),
        "categories": Category.choices,
        "storm_rules": list(active_rules(timezone.now()).select_related("customer")),
        "overdue_checks": overdue_checks(),
        "can_storm": is_supervisor(request.user),
    })


@staff_required
@require_GET
def snapshot(request):
    return JsonResponse(selectors.snapshot(request.user))


@staff_required
@require_GET
def events(request):
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"error": "after must be an integer"}, status=400)
    return JsonResponse(selectors.feed_after(request.user, after))


@staff_required
@require_POST
def take(request, pk: int):
    force = request.POST.get("force") in ("1", "true", "on")
    try:
        alarm = alarm_take(alarm_id=pk, operator=request.user, force=force)
    except AlarmTaken as exc:
        return JsonResponse({"ok": False, "error": str(exc), "holder": exc.holder_name,
                             "abandoned": exc.abandoned, "can_force": exc.can_force,
                             "on_hold": exc.on_hold},
                            status=409)
    except AlarmError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=409)
    return JsonResponse({"ok": True, "alarm": selectors.alarm_row(alarm),
                         "url": reverse("alarms:alarm", args=[alarm.pk])})


@staff_required
@require_GET
def operators(request):
    """Operators and whether they are at a console (for reassigning)."""
    users = get_user_model().objects.filter(is_active=True, groups__name=OPERATOR).distinct().order_by("username")
    return JsonResponse({"operators": [
        {"id": u.pk, "name": u.get_full_name() or u.get_username(), "present": presence_of(u.pk) is not None}
        for u in users]})
