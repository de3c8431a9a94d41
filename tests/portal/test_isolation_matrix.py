"""The isolation matrix, generated from the URL configuration.

Every URL pattern of ``get_resolver()`` (and every websocket route of
``arc.asgi``) must have an entry here; a new URL without one fails the suite
(``test_every_url_has_an_entry``). Each entry names a rule, and every URL is
then tried, GET and POST, by a client of customer A and by an anonymous
visitor, with the ids of customer B's objects:

- STAFF: centre screens. Client A and anonymous are refused (a redirect to a
  login page, 401, 403, 404 or 405).
- OBJECT: a portal page about one object. Client A gets 404/403 for B's
  object; anonymous is sent to the login page.
- OWN: a portal page about the user's own data (no object id). Client A may
  get it, but nothing of customer B is in it; anonymous is sent to log in.
- PUBLIC: login, language, health, API schema: nobody's data of B in it.
- LINK: pages reached with a secret from a message (a guard's link, an SMS
  acknowledgement): a made-up secret is refused.
- API: /api/v1/: anonymous gets 401; A's token gets 404 for B's object and
  only A's rows in lists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from alarms.feed import feed_record
from alarms.models import Alarm, Signal, SignalEvent
from logbook.services import entry_append
from portal.models import Scope
from portal.services import token_create
from sites.models import TemporaryInstruction
from tests.builders import make_contact

STAFF, OBJECT, OWN, PUBLIC, LINK, API = "staff", "object", "own", "public", "link", "api"

MATRIX: dict[str, str] = {
    # arc
    "home": OWN, "login": PUBLIC, "admin:login": PUBLIC, "admin:logout": PUBLIC, "logout": PUBLIC, "set_language": PUBLIC,
    "health": PUBLIC, "health-live": PUBLIC,
    # alarms (console)
    "alarms:console": STAFF, "alarms:console_snapshot": STAFF, "alarms:console_events": STAFF,
    "alarms:console_operators": STAFF, "alarms:alarm_take": STAFF, "alarms:alarm": STAFF,
    "alarms:alarm_section": STAFF, "alarms:alarm_action": STAFF, "alarms:alarm_evidence": STAFF,
    "alarms:alarm_evidence_pdf": STAFF, "alarms:phone_call": STAFF, "alarms:storm": STAFF,
    "alarms:storm_start": STAFF, "alarms:storm_end": STAFF, "alarms:storm_logged": STAFF,
    # alarms (intake): the journal is for supervisors; POST /api/v1/events takes an event-source token
    "alarms:signals": STAFF, "alarms:signal_detail": STAFF, "alarms:intake_events": LINK,
    # logbook
    "logbook:home": STAFF, "logbook:entry_create": STAFF, "logbook:entries_more": STAFF,
    "logbook:entry_correct": STAFF, "logbook:lookup": STAFF, "logbook:review": STAFF,
    "logbook:timeline_alarm": STAFF, "logbook:timeline_site": STAFF, "logbook:export_create": STAFF,
    "logbook:export_status": STAFF, "logbook:export_download": STAFF, "logbook:handover": STAFF,
    "logbook:shift_start": STAFF, "logbook:handover_write": STAFF, "logbook:handover_acknowledge": STAFF,
    "logbook:handover_countersign": STAFF, "logbook:checks": STAFF, "logbook:check_tick": STAFF,
    "logbook:dashboard": STAFF, "logbook:monthly_report": STAFF,
    # dispatch
    "dispatch:home": STAFF, "dispatch:timers_health": STAFF, "dispatch:alarm_callouts": STAFF,
    "dispatch:callout_cancel": STAFF, "dispatch:callout_start": STAFF, "dispatch:alarm_interventions": STAFF,
    "dispatch:intervention_request": STAFF, "dispatch:intervention_update": STAFF,
    "dispatch:guard": LINK, "dispatch:callout_ack": LINK, "dispatch:sms_inbound": LINK,
    # video
    "video:wall": STAFF, "video:status": STAFF, "video:alarm_panel": STAFF, "video:clip": STAFF,
    "video:legal_hold": STAFF, "video:snapshot": STAFF, "video:mjpeg_token": OBJECT, "video:site": OBJECT, "video:patrol_round": STAFF,
    # portal
    "portal:home": OWN, "portal:feed": OWN, "portal:site": OBJECT, "portal:site_events": OBJECT,
    "portal:site_logbook": OBJECT, "portal:site_test": OBJECT, "portal:site_test_end": OBJECT,
    "portal:contact_new": OBJECT, "portal:contact_edit": OBJECT, "portal:contact_delete": OBJECT,
    "portal:contact_move": OBJECT, "portal:instruction_new": OBJECT, "portal:instruction_end": OBJECT,
    "portal:alarm": OBJECT, "portal:monthly_report": OBJECT, "portal:alarm_instructions": STAFF,
    "portal:instructions_pending": STAFF, "portal:instruction_decision": STAFF,
    "portal:otp_setup": OWN, "portal:otp_verify": OWN,
    # integration API
    "api:schema": PUBLIC, "api:site-list": API, "api:site-detail": API, "api:alarm-list": API,
    "api:alarm-detail": API, "api:event-list": API, "api:event-detail": API, "api:logentry-list": API,
    "api:logentry-detail": API,
}
# The Django admin: every page is for administrators (client A is sent to the admin login).
PREFIX_RULES = {"admin:": STAFF, "admin/": STAFF}

WS_MATRIX = {"ws/console/": STAFF, "ws/portal/": OWN}

REFUSED = {401, 403, 404, 405}


def walk(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def rule_of(name, route) -> str | None:
    if name in MATRIX:
        return MATRIX[name]
    for prefix, rule in PREFIX_RULES.items():
        if (name or "").startswith(prefix) or route.startswith(prefix):
            return rule
    return None


def ws_routes() -> list[str]:
    from arc.asgi import _websocket_patterns

    return [str(p.pattern) for p in _websocket_patterns()]


def test_every_url_has_an_entry():
    missing = sorted(f"{name or '(unnamed)'} {route}" for name, route, _p in walk() if rule_of(name, route) is None)
    assert not missing, "URL patterns without an entry in the isolation matrix:\n" + "\n".join(missing)
    missing_ws = sorted(set(ws_routes()) - set(WS_MATRIX))
    assert not missing_ws, f"websocket routes without an entry: {missing_ws}"


@pytest.fixture
def world(db, client_a, client_b, site_a, site_b, customer_b, admin_user):
    """Customer B's objects, one of each kind a URL can point at."""
    alarm_b = Alarm.objects.create(site=site_b, customer=customer_b, category="alarm", priority=2,
                                   title="Intrusion Site B1")
    signal = Signal.objects.create(received_at=timezone.now(), receiver="rx1", transport="tcp",
                                   outcome="accepted", site=site_b, account="BBBB")
    event_b = SignalEvent.objects.create(signal=signal, protocol="SIA-DCS", code="BA", category="alarm", priority=2,
                                         site=site_b, text="Site B1 event")
    entry_b = entry_append(action="note", message="Site B1 note", site=site_b, customer=customer_b,
                           category="incident")
    instruction_b = TemporaryInstruction.objects.create(
        site=site_b, text="Site B1 keys", starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(days=1),
        proposed_by_name="B", proposed_at=timezone.now())
    contact_b = make_contact(site_b, "Contact of Site B1")
    _t, token_a = token_create(name="A", scopes=list(Scope.values), by=admin_user, customer=site_a.customer)
    ids = {"site_id": site_b.pk, "alarm_id": alarm_b.pk, "customer_id": customer_b.pk,
           "contact_id": contact_b.pk, "instruction_id": instruction_b.pk, "year": 2026, "month": 1,
           "object_id": str(site_b.pk)}
    api_ids = {"site": site_b.pk, "alarm": alarm_b.pk, "event": event_b.pk, "logentry": entry_b.pk}
    return {"ids": ids, "api_ids": api_ids, "token_a": token_a, "alarm_b": alarm_b, "site_b": site_b,
            "markers": ("Site B1", "Client B", "CB")}


def fill(route: str, pattern, name: str, world) -> str:
    """A concrete path for ``route`` pointing at customer B's objects."""
    import re

    ids = world["ids"]
    path = route
    if name and name.startswith("api:") and "(?P<pk>" in route:
        basename = name.split(":")[1].rsplit("-", 1)[0]
        path = re.sub(r"\(\?P<pk>[^)]*\)", str(world["api_ids"][basename]), path)
    path = path.replace("^", "").replace("$", "")

    def value(match):
        converter, key = match.group(1), match.group(2)
        if key in ids:
            return str(ids[key])
        if converter == "uuid":
            return str(uuid.uuid4())
        if key == "pk" and name.startswith("alarms:"):
            return str(world["alarm_b"].pk)
        if converter in ("int", None) or key.endswith("_id") or key == "pk":
            return str(world["alarm_b"].pk)
        return "x" * 12

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, path)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "x", path)
    path = path.replace("(?P<url>.*)", "")
    return "/" + path


def _refused(response) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        location = response["Location"]
        return "login" in location or "/2fa/" in location
    return False


def _no_b_data(response, markers) -> bool:
    body = response.content.decode(errors="replace") if hasattr(response, "content") else ""
    return not any(m in body for m in markers[:2])


@pytest.mark.parametrize("who", ["client_a", "anonymous"])
def test_matrix(world, client_a, who):
    browser = Client()
    if who == "client_a":
        browser.force_login(client_a)
    failures = []
    for name, route, pattern in walk():
        rule = rule_of(name, route)
        path = fill(route, pattern, name or "", world)
        for method in ("get", "post"):
            if rule == API:
                api = APIClient()
                if who == "client_a":
                    api.credentials(HTTP_AUTHORIZATION=f"Bearer {world['token_a']}")
                response = getattr(api, method)(path)
                if who == "anonymous":
                    ok = response.status_code == 401
                elif name.endswith("-detail"):
                    ok = response.status_code in (404, 405)
                else:
                    ok = response.status_code in (200, 405) and _no_b_data(response, world["markers"])
            else:
                with transaction.atomic():
                    response = getattr(browser, method)(path)
                    transaction.set_rollback(True)  # a refused POST must change nothing; keep B's world intact
                if rule in (STAFF, OBJECT):
                    ok = _refused(response)
                elif rule == LINK:
                    ok = response.status_code in {400, 401, 403, 404, 405, 410}
                elif rule == OWN and who == "anonymous":
                    ok = _refused(response)
                else:  # OWN for client A, PUBLIC (/health/ answers 503 when the centre is degraded)
                    ok = response.status_code not in (500, 502) and _no_b_data(response, world["markers"])
            if not ok:
                failures.append(f"{who} {method.upper()} {path} ({name}, {rule}) → {response.status_code}")
    assert not failures, "\n".join(failures)


def test_websockets(world, client_a, transactional_db):
    """Websocket routes: the console refuses client A; the portal socket of A
    never rings for B's feed events."""
    from channels.routing import URLRouter

    from arc.asgi import _websocket_patterns

    router = URLRouter(_websocket_patterns())

    async def connect(route, user):
        ws = WebsocketCommunicator(router, "/" + route)
        ws.scope["user"] = user
        connected, _ = await ws.connect(timeout=5)
        return ws, connected

    def ring_b():
        with transaction.atomic():
            return feed_record(alarm=world["alarm_b"], kind="taken")

    async def scenario():
        try:
            for route, rule in WS_MATRIX.items():
                ws, connected = await connect(route, client_a)
                if rule == STAFF:
                    assert not connected, route
                    continue
                assert connected, route
                await sync_to_async(ring_b)()
                assert await ws.receive_nothing(timeout=0.5), f"{route} rang for customer B"
                await ws.disconnect()
        finally:
            await sync_to_async(connections.close_all)()

    asyncio.run(scenario())
