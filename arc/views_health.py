"""``/health/`` (the centre's health, JSON) and ``/health/live/`` (this web node answers).

``/health/`` answers 200 when the centre is ``ok`` and 503 when it is
``degraded`` or ``down``, so a monitoring system needs only the status code.
Anybody may read the status line and each check's status; the details (ages,
hosts, backlog, the problems in words) are for staff, whose console shows
them in its degraded-centre banner.

``/health/live/`` is for load balancers: it says whether THIS node serves
requests and reaches the database. A receiver being down must not take every
web node out of the balancer, so it does not look at the rest of the centre.
"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from arc.health import DOWN, OK, centre_health, public_view
from sites.roles import is_staff_member


@never_cache
@require_GET
def health(request):
    result = centre_health()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and is_staff_member(user):
        body = result
    else:
        body = public_view(result)
    return JsonResponse(body, status=200 if result["status"] == OK else 503,
                        json_dumps_params={"ensure_ascii": False})


@never_cache
@require_GET
def live(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": DOWN, "database": DOWN}, status=503)
    return JsonResponse({"status": OK})


class HealthFirstMiddleware:
    """First in MIDDLEWARE: answers ``/health/`` itself when the database is down.

    The session and user live in PostgreSQL, so with the database down the rest
    of the stack fails before the view runs — exactly when the console's
    degraded-centre banner matters most. Then the statuses and the problems
    (plain sentences, nothing about anybody's data) go to every caller, in the
    default language, with 503. Otherwise the request goes on as usual.
    """

    PATHS = ("/health/", "/health/live/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in self.PATHS and request.method == "GET":
            result = centre_health()
            if result["checks"]["database"]["status"] != OK:
                if request.path == "/health/live/":
                    return JsonResponse({"status": DOWN, "database": DOWN}, status=503)
                body = public_view(result) | {"problems": result["problems"]}
                response = JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
                response["Cache-Control"] = "no-store"
                return response
        return self.get_response(request)
