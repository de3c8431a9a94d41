"""OpenAPI schema helpers: only /api/ endpoints, and the bearer token scheme."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_api(endpoints, **kwargs):
    """Keep /api/ endpoints only (other apps' DRF views are not the integration API)."""
    return [endpoint for endpoint in endpoints
            if endpoint[0].startswith("/api/") and not endpoint[0].startswith("/api/v1/schema")]


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An integration token `arc_<prefix>_<secret>` (docs/api.md)."}


class EventSourceTokenScheme(OpenApiAuthenticationExtension):
    """INTAKE's POST /api/v1/events takes an event source's token (alarms.IntakeSource)."""

    target_class = "alarms.api_intake.IntakeSourceAuthentication"
    name = "eventSourceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An event source's token (IntakeSource), for POST /api/v1/events only."}
