"""schemathesis against the served OpenAPI schema: no 5xx on generated input.

The schema is fetched from /api/v1/schema/ and every operation is called
in-process (WSGI) with generated parameters, as an integration holding a
centre token with every scope. Examples are bounded so that the whole file
runs in well under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from alarms.models import Alarm
from logbook.services import entry_append
from portal.models import Scope
from portal.services import token_create

EXAMPLES = 50


@pytest.fixture
def api_schema(db):
    # In-process calls share the test's connection and transaction: keep Django
    # from closing it at the end of each request (as its test Client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db, admin_user, site_a):
    Alarm.objects.create(site=site_a, customer=site_a.customer, category="alarm", priority=2, title="Intrusion")
    entry_append(action="note", message="note", site=site_a, customer=site_a.customer, category="incident")
    _token, clear = token_create(name="schemathesis", scopes=list(Scope.values), by=admin_user,
                                 rate_per_minute=100000)
    cache.clear()
    return clear


def test_api_never_answers_5xx(api_schema, api_token):
    """Every operation of the schema, with generated parameters (bounded)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8  # sites, alarms, events, logbook: list and detail
    called = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers={"Authorization": f"Bearer {api_token}"})
            called.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert len(called) >= len(operations) and any(code == 200 for code in called)
