"""Security: login throttling, staff 2FA, idle timeout, disabled users, CSRF,
production settings."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from logbook.models import LogEntry
from portal.services import user_disable

pytestmark = pytest.mark.django_db


def test_brute_force_login_is_throttled(client, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "op", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    # The right password is refused too, now that the account+address is locked.
    response = client.post(reverse("login"), {"username": "op", "password": "pw-for-tests-only"},
                           REMOTE_ADDR="10.0.0.9")
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # Another address is not locked out by somebody else's attempts.
    other = Client()
    ok = other.post(reverse("login"), {"username": "op", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.0.0.10")
    assert ok.status_code == 302


def _totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


@override_settings(REQUIRE_STAFF_2FA=True)
def test_staff_must_enrol_and_verify_totp(client, operator, client_a, site_a):
    client.force_login(operator)
    response = client.get(reverse("portal:instructions_pending"))
    assert response.status_code == 302 and reverse("portal:otp_setup") in response["Location"]
    assert client.get("/api/v1/sites/", HTTP_HX_REQUEST="true").status_code in (401, 403)
    setup = client.get(reverse("portal:otp_setup"))
    assert setup.status_code == 200 and b"<svg" in setup.content
    device = TOTPDevice.objects.get(user=operator)
    assert client.post(reverse("portal:otp_setup"), {"token": "000000"}).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # wrong codes are throttled too
    device.throttle_reset()
    response = client.post(reverse("portal:otp_setup"), {"token": _totp_now(device),
                                                         "next": reverse("portal:instructions_pending")})
    assert response.status_code == 302
    assert client.get(reverse("portal:instructions_pending")).status_code == 200
    assert LogEntry.objects.filter(action="security.otp_enrolled", actor_id=operator.pk).exists()
    # A new session asks for a code again (verify, not enrol).
    other = Client()
    other.force_login(operator)
    response = other.get(reverse("portal:instructions_pending"))
    assert reverse("portal:otp_verify") in response["Location"]
    # Clients are not asked.
    c = Client()
    c.force_login(client_a)
    assert c.get(reverse("portal:home")).status_code == 200


def test_idle_session_is_logged_out(client, client_a, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(client_a)
    assert client.get(reverse("portal:home")).status_code == 200
    session = client.session
    session["arc_last_activity"] = time.time() - 120
    session.save()
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(reverse("portal:home")).status_code == 302


def test_background_polls_do_not_keep_a_session_alive(client, client_a, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    client.force_login(client_a)
    client.get(reverse("portal:home"))
    session = client.session
    session["arc_last_activity"] = time.time() - 50
    session.save()
    client.get(reverse("portal:feed"), HTTP_X_ARC_BACKGROUND="1")
    assert time.time() - client.session["arc_last_activity"] > 45


def test_user_disable_deletes_sessions_and_is_logged(client, supervisor, client_a):
    client.force_login(client_a)
    assert Session.objects.count() == 1
    user_disable(user=client_a, by=supervisor, reason="left the company")
    client_a.refresh_from_db()
    assert not client_a.is_active
    assert Session.objects.count() == 0
    assert client.get(reverse("portal:home")).status_code == 302
    entry = LogEntry.objects.get(action="user.disabled")
    assert entry.actor_id == supervisor.pk and entry.new_values["sessions_closed"] == 1


def test_operators_cannot_disable_accounts(operator, client_a):
    with pytest.raises(PermissionError):
        user_disable(user=client_a, by=operator)


def test_csrf_is_enforced_on_portal_forms(client_a, site_a):
    c = Client(enforce_csrf_checks=True)
    c.force_login(client_a)
    assert c.post(reverse("portal:site_test", args=[site_a.pk]), {"hours": 2}).status_code == 403


def test_production_settings_require_2fa_secure_cookies_hsts_and_csp(tmp_path):
    """Load the settings as production does, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARC_")}
    secret = tmp_path / "secret"
    secret.write_text("x" * 60)
    env.update({"ARC_PRODUCTION": "1", "ARC_SECRET_KEY_FILE": str(secret), "ARC_VAR_DIR": str(tmp_path),
                "ARC_FIELD_KEY": "9bO2Yq5uW0pZ0a8eZ3o3hX4xL6l1kqL7oQ0rV2rS0bE=",
                "DJANGO_SETTINGS_MODULE": "arc.settings"})
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "from django.test import Client;"
        "print(s.REQUIRE_STAFF_2FA, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " 'csp.middleware.CSPMiddleware' in s.MIDDLEWARE, s.SECRET_KEY == 'x'*60);"
        "r = Client().get('/login/', secure=True, HTTP_HOST='127.0.0.1');"
        "print(r.status_code, r.headers.get('Content-Security-Policy', ''));"
        "print(r.headers.get('Strict-Transport-Security', ''))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    flags, status_csp, hsts = out.stdout.strip().splitlines()[-3:]
    assert flags == "True True True 31536000 True True"
    assert status_csp.startswith("200 ") and "default-src 'self'" in status_csp and "frame-ancestors 'none'" in status_csp
    assert "max-age=31536000" in hsts
    # And a missing SECRET_KEY in production stops start-up.
    env.pop("ARC_SECRET_KEY_FILE")
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "ARC_SECRET_KEY must be set" in out.stderr


def test_websocket_origin_is_checked(client_a, site_a, transactional_db):
    """A page on another site cannot open a socket with the user's cookies."""
    import asyncio

    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.db import connections

    from arc.asgi import application

    browser = Client()
    browser.force_login(client_a)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    async def scenario():
        try:
            for origin, expected in ((b"http://evil.example", False), (b"http://127.0.0.1", True)):
                ws = WebsocketCommunicator(application, "/ws/portal/", headers=[
                    (b"origin", origin), (b"host", b"127.0.0.1"), (b"cookie", cookie)])
                connected, _ = await ws.connect(timeout=5)
                assert connected is expected, origin
                if connected:
                    await ws.disconnect()
        finally:
            await sync_to_async(connections.close_all)()

    asyncio.run(scenario())


def test_transmitter_keys_are_encrypted_at_rest(site_a):
    from django.db import connection

    from tests.builders import make_transmitter

    transmitter = make_transmitter(site_a, "ABCD", key="00112233445566778899AABBCCDDEEFF", encryption="aes128")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_encrypted FROM sites_transmitter WHERE id = %s", [transmitter.pk])
        stored = cursor.fetchone()[0]
    assert "00112233445566778899" not in stored.upper() and stored.startswith("gAAAA")  # Fernet token
    assert transmitter.key_bytes() == bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def test_staff_websocket_without_totp_is_refused_when_2fa_is_required(operator, client_a, site_a,
                                                                        transactional_db, settings):
    """Checked at the ASGI layer, before any consumer (console included)."""
    import asyncio

    from asgiref.sync import sync_to_async
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.sessions import SessionMiddlewareStack
    from channels.testing import WebsocketCommunicator
    from django.db import connections
    from django_otp import DEVICE_ID_SESSION_KEY

    from portal.middleware import StaffOtpWebsocketMiddleware

    settings.REQUIRE_STAFF_2FA = True
    device = TOTPDevice.objects.create(user=operator, name="t", confirmed=True)

    class Accept(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()

    def session_for(user, verified):
        browser = Client()
        browser.force_login(user)
        if verified:
            session = browser.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return f"sessionid={browser.cookies['sessionid'].value}".encode()

    from channels.auth import AuthMiddlewareStack

    app = SessionMiddlewareStack(AuthMiddlewareStack(StaffOtpWebsocketMiddleware(Accept.as_asgi())))

    async def connects(cookie) -> bool:
        ws = WebsocketCommunicator(app, "/ws/console/", headers=[(b"cookie", cookie)])
        connected, _ = await ws.connect(timeout=5)
        if connected:
            await ws.disconnect()
        return connected

    async def scenario():
        try:
            assert not await connects(await sync_to_async(session_for)(operator, False))
            assert await connects(await sync_to_async(session_for)(operator, True))
            assert await connects(await sync_to_async(session_for)(client_a, False))  # clients: no TOTP
        finally:
            await sync_to_async(connections.close_all)()

    asyncio.run(scenario())


def test_shared_layout_and_portal_have_no_inline_script_for_the_csp_to_block():
    """Production's CSP is script-src 'self': inline scripts and on…= handlers would silently not run."""
    import re
    from pathlib import Path

    base = Path(__file__).resolve().parents[2]
    templates = [base / "templates" / "base.html", *sorted((base / "portal" / "templates").rglob("*.html"))]
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son(click|change|submit|load|input)=", re.I)
    offenders = [f"{t.relative_to(base)}: {m.group(0)}" for t in templates for m in inline.finditer(t.read_text())]
    assert not offenders, offenders


def test_password_policy_rejects_short_common_numeric_and_look_alike_passwords(client_a):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("court1", "password1234", "123456789012345", "client_a_2024!"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=client_a)
    validate_password("vélo-Bastille-orage-71", user=client_a)


def test_disable_user_command(client_a):
    from django.core.management import call_command

    call_command("disable_user", "client_a", "--reason", "contrat résilié")
    client_a.refresh_from_db()
    assert not client_a.is_active
    assert LogEntry.objects.get(action="user.disabled").actor_name == "ARC"
