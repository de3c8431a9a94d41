"""Session security for every request: idle timeout, and TOTP for staff.

- Idle timeout: a session unused for ``SESSION_IDLE_TIMEOUT`` seconds is
  logged out (an unattended console in a control room stays logged in for a
  shift; a client's phone left on a table does not). The console's own
  periodic polls count as activity only when the browser says the operator
  touched something (``X-ARC-Activity``), otherwise a console left open
  would never time out.
- Two-factor: when ``settings.REQUIRE_STAFF_2FA`` is on, a member of staff
  whose session is not OTP-verified reaches only the enrolment / verification
  pages, logout and static files; APIs and websockets get 403.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse

from sites.roles import is_staff_member

ACTIVITY_KEY = "arc_last_activity"
ACTIVITY_RESOLUTION = 60  # seconds
OPEN_PATHS_2FA = ("/portal/2fa/", "/logout/", "/static/", "/i18n/", "/login/")


def staff_needs_otp(request) -> bool:
    user = request.user
    return bool(settings.REQUIRE_STAFF_2FA and user.is_authenticated and is_staff_member(user)
                and not (hasattr(user, "is_verified") and user.is_verified()))


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(ACTIVITY_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                    return HttpResponseForbidden("session expired")
                return redirect(f"{reverse('login')}?next={request.path}")
            background = request.headers.get("X-ARC-Background") == "1"
            # Saved at most once a minute: a session write per request costs a commit.
            if last is None or (not background and now - last > ACTIVITY_RESOLUTION):
                request.session[ACTIVITY_KEY] = now
            if staff_needs_otp(request) and not request.path.startswith(OPEN_PATHS_2FA):
                if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                    return HttpResponseForbidden("two-factor authentication required")
                from django_otp.plugins.otp_totp.models import TOTPDevice

                confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                target = "portal:otp_verify" if confirmed else "portal:otp_setup"
                return redirect(f"{reverse(target)}?next={request.get_full_path()}")
            if is_staff_member(user) and not background:
                from portal.services import presence_touch

                presence_touch(user=user)
        return self.get_response(request)


class StaffOtpWebsocketMiddleware:
    """ASGI middleware (inside AuthMiddlewareStack, arc/asgi.py): when staff
    2FA is required, a websocket of a staff session that has not passed TOTP
    is refused before any consumer sees it (the console included)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "websocket" and settings.REQUIRE_STAFF_2FA:
            from channels.db import database_sync_to_async
            from channels.security.websocket import WebsocketDenier

            if await database_sync_to_async(_ws_needs_otp)(scope):
                return await WebsocketDenier.as_asgi()(scope, receive, send)
        return await self.inner(scope, receive, send)


def _ws_needs_otp(scope) -> bool:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    user = scope.get("user")
    if user is None or not user.is_authenticated or not is_staff_member(user):
        return False
    session = scope.get("session")
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is None or device.user_id != user.pk or not getattr(device, "confirmed", True)
