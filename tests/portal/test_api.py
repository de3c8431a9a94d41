"""The integration API: token per integration, scopes, customer filter, rate limit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from alarms.models import Alarm
from logbook.services import entry_append
from portal.models import Scope
from portal.services import token_create, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()
    yield


def api(clear: str | None) -> APIClient:
    c = APIClient()
    if clear:
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    return c


def alarm_on(site) -> Alarm:
    return Alarm.objects.create(site=site, customer=site.customer, category="alarm", priority=2, title="Intrusion")


def test_customer_token_sees_only_its_customer(admin_user, customer_a, site_a, site_b):
    mine, other = alarm_on(site_a), alarm_on(site_b)
    entry_append(action="note", message="A", site=site_a, customer=customer_a, category="incident")
    entry_append(action="note", message="B", site=site_b, customer=site_b.customer, category="incident")
    _token, clear = token_create(name="GTB A", scopes=list(Scope.values), by=admin_user, customer=customer_a)
    c = api(clear)
    assert [s["code"] for s in c.get("/api/v1/sites/").json()["results"]] == [site_a.code]
    assert [a["id"] for a in c.get("/api/v1/alarms/").json()["results"]] == [mine.pk]
    assert c.get(f"/api/v1/alarms/{other.pk}/").status_code == 404
    assert c.get(f"/api/v1/sites/{site_b.pk}/").status_code == 404
    assert [e["message"] for e in c.get("/api/v1/logbook/").json()["results"]] == ["A"]
    detail = c.get(f"/api/v1/alarms/{mine.pk}/").json()
    assert detail["events"] == [] and detail["title"] == "Intrusion"


def test_scopes_missing_bad_or_revoked_tokens_are_refused(admin_user, site_a):
    token, clear = token_create(name="sites only", scopes=[Scope.SITES_READ], by=admin_user)
    assert api(clear).get("/api/v1/sites/").status_code == 200
    assert api(clear).get("/api/v1/alarms/").status_code == 403
    assert api(None).get("/api/v1/sites/").status_code == 401
    assert api(clear[:-2] + "xx").get("/api/v1/sites/").status_code == 401
    assert api("garbage").get("/api/v1/sites/").status_code == 401
    token_revoke(token_id=token.pk, by=admin_user)
    assert api(clear).get("/api/v1/sites/").status_code == 401
    token.refresh_from_db()
    assert token.token_hash not in clear and len(token.token_hash) == 64


def test_bad_filters_are_400_not_500(admin_user):
    _token, clear = token_create(name="all", scopes=list(Scope.values), by=admin_user)
    c = api(clear)
    assert c.get("/api/v1/alarms/", {"site": "abc"}).status_code == 400
    assert c.get("/api/v1/alarms/", {"state": "nope"}).status_code == 400
    assert c.get("/api/v1/events/", {"since": "yesterday"}).status_code == 400
    assert c.get("/api/v1/alarms/99999999999999999999/").status_code == 404


def test_rate_limit_per_token_in_redis(admin_user):
    _slow, slow_clear = token_create(name="slow", scopes=[Scope.SITES_READ], by=admin_user, rate_per_minute=3)
    _fast, fast_clear = token_create(name="fast", scopes=[Scope.SITES_READ], by=admin_user, rate_per_minute=100)
    codes = [api(slow_clear).get("/api/v1/sites/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert api(fast_clear).get("/api/v1/sites/").status_code == 200
    assert cache.get(f"arc:api:throttle:token:{_slow.pk}") is not None  # counted in the shared cache


def test_schema_is_served_and_documents_the_bearer_token(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/v1/alarms/" in text and "integrationToken" in text and "bearer" in text
    if schema:
        assert schema["components"]["securitySchemes"]["integrationToken"]["scheme"] == "bearer"


def test_list_filters_site_after_id_and_since(admin_user, customer_a, site_a):
    import datetime as dt

    from django.utils import timezone

    from alarms.models import Signal, SignalEvent
    from tests.builders import make_site

    other_site = make_site(customer_a)
    first, second, elsewhere = alarm_on(site_a), alarm_on(site_a), alarm_on(other_site)
    old = timezone.now() - dt.timedelta(days=2)
    for received_at, code in ((old, "BA"), (timezone.now(), "FA")):
        signal = Signal.objects.create(received_at=received_at, receiver="rx1", transport="tcp",
                                       outcome="accepted", site=site_a, account="A1")
        SignalEvent.objects.create(signal=signal, protocol="SIA-DCS", code=code, category="alarm", priority=2,
                                   site=site_a)
    entry_append(action="note", message="on A1", site=site_a, customer=customer_a, category="incident")
    entry_append(action="note", message="elsewhere", site=other_site, customer=customer_a, category="incident")
    _token, clear = token_create(name="A", scopes=list(Scope.values), by=admin_user, customer=customer_a)
    c = api(clear)

    def ids(url):
        return sorted(r["id"] for r in c.get(url).json()["results"])

    assert ids(f"/api/v1/alarms/?site={site_a.pk}") == [first.pk, second.pk]
    assert ids(f"/api/v1/alarms/?after_id={first.pk}") == [second.pk, elsewhere.pk]
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    events = c.get("/api/v1/events/", {"since": since}).json()["results"]
    assert [e["code"] for e in events] == ["FA"]  # events compare ?since= with their reception time
    assert [e["message"] for e in c.get(f"/api/v1/logbook/?site={site_a.pk}").json()["results"]] == ["on A1"]
