"""Read endpoints of the integration API (/api/v1/). Thin: authenticate the
token, check its scope, read through a token-filtered selector, serialise."""

from __future__ import annotations

from django.db.models import Max
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, pagination, serializers, viewsets
from rest_framework.exceptions import ValidationError

from alarms.models import Alarm, SignalEvent
from logbook.models import LogEntry
from portal import selectors
from portal.api.auth import HasScope, IntegrationTokenAuthentication, TokenRateThrottle
from portal.api.serializers import (
    AlarmDetailSerializer,
    AlarmSerializer,
    EventSerializer,
    LogEntrySerializer,
    SiteSerializer,
)
from portal.models import Scope
from sites.models import Site


class IdCursorPagination(pagination.CursorPagination):
    """Newest first, stable under inserts (integrations page through without gaps)."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class Filters(serializers.Serializer):
    site = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    after_id = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    since = serializers.DateTimeField(required=False)
    state = serializers.ChoiceField(required=False, choices=Alarm.State.choices)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


FILTER_PARAMS = {
    "site": OpenApiParameter("site", int, description="Only this site (id)."),
    "after_id": OpenApiParameter("after_id", int, description="Only rows with a greater id (polling)."),
    "since": OpenApiParameter("since", str, description="Only rows at or after this ISO 8601 time."),
    "state": OpenApiParameter("state", str, enum=Alarm.State.values, description="Alarm state."),
    "active": OpenApiParameter("active", bool, description="Only open, taken or held alarms."),
}


class ApiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [TokenRateThrottle]
    pagination_class = IdCursorPagination
    required_scope = ""
    # Ids only, and within bigint: anything else is a 404, never a database error.
    lookup_value_regex = "[0-9]{1,18}"
    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no token
            return self.model.objects.none()
        return self.token_queryset(self.request.auth)

    def filters(self) -> dict:
        if self.action != "list":
            return {}
        data = Filters(data=self.request.query_params)
        if not data.is_valid():
            raise ValidationError(data.errors)
        return data.validated_data

    # The field that ?since= compares with, per resource.
    since_field = "created_at"

    def filter_common(self, queryset, f: dict):
        """?site=, ?after_id= and ?since=, the same for every list."""
        if "site" in f:
            queryset = queryset.filter(site_id=f["site"])
        if "after_id" in f:
            queryset = queryset.filter(id__gt=f["after_id"])
        if "since" in f:
            queryset = queryset.filter(**{f"{self.since_field}__gte": f["since"]})
        return queryset


@extend_schema_view(list=extend_schema(parameters=[FILTER_PARAMS["since"]]))
class SiteViewSet(ApiViewSet):
    """Sites with their live status (monitoring, armed, on test, last signal, last periodic test)."""

    serializer_class = SiteSerializer
    required_scope = Scope.SITES_READ
    model = Site

    def token_queryset(self, token):
        return selectors.sites_for_token(token).annotate(
            last_signal_at=Max("transmitters__last_seen_at"), last_test_at=Max("transmitters__last_test_at"))


@extend_schema_view(list=extend_schema(parameters=[FILTER_PARAMS[n] for n in
                                                   ("site", "after_id", "since", "state", "active")]))
class AlarmViewSet(ApiViewSet):
    """Alarms of the token's sites; one alarm with its timeline (what the centre did)."""

    required_scope = Scope.ALARMS_READ
    model = Alarm

    def get_serializer_class(self):
        return AlarmDetailSerializer if self.action == "retrieve" else AlarmSerializer

    def token_queryset(self, token):
        f = self.filters()
        alarms = self.filter_common(selectors.alarms_for_token(token), f)
        if "state" in f:
            alarms = alarms.filter(state=f["state"])
        if f.get("active"):
            alarms = alarms.filter(state__in=Alarm.ACTIVE_STATES)
        if self.action == "retrieve":
            alarms = alarms.prefetch_related("events")
        return alarms


@extend_schema_view(list=extend_schema(parameters=[FILTER_PARAMS[n] for n in ("site", "after_id", "since")]))
class EventViewSet(ApiViewSet):
    """Events received from the token's sites (parsed signals), newest first.
    (Sending events is POST /api/v1/events, documented separately.)"""

    serializer_class = EventSerializer
    required_scope = Scope.EVENTS_READ
    model = SignalEvent
    since_field = "signal__received_at"

    def token_queryset(self, token):
        return self.filter_common(selectors.events_for_token(token), self.filters())


@extend_schema_view(list=extend_schema(parameters=[FILTER_PARAMS[n] for n in ("site", "after_id", "since")]))
class LogEntryViewSet(ApiViewSet):
    """The logbook (main courante), read-only; a customer token sees its sites' entries."""

    serializer_class = LogEntrySerializer
    required_scope = Scope.LOGBOOK_READ
    model = LogEntry

    def token_queryset(self, token):
        return self.filter_common(selectors.logbook_for_token(token), self.filters())
