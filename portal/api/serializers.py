"""What the integration API returns. Read-only; field names are the contract
(docs/api.md)."""

from __future__ import annotations

from rest_framework import serializers

from alarms.models import Alarm, AlarmEvent, SignalEvent
from logbook.models import LogEntry
from sites.models import Site


class SiteSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    on_test = serializers.SerializerMethodField()
    last_signal_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_test_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Site
        fields = ["id", "code", "name", "customer", "address", "postal_code", "city", "country", "region",
                  "timezone", "monitoring_state", "on_test", "test_until", "armed_state", "armed_changed_at",
                  "last_signal_at", "last_test_at"]

    def get_on_test(self, site) -> bool:
        return site.is_on_test()


class AlarmEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlarmEvent
        fields = ["id", "created_at", "kind", "actor_name", "data"]


class AlarmSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id", read_only=True, allow_null=True)
    zone = serializers.CharField(source="zone.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Alarm
        fields = ["id", "site", "zone", "source", "kind", "category", "priority", "code", "title", "state",
                  "created_at", "first_signal_at", "last_signal_at", "signal_count", "acknowledged_at",
                  "restored_at", "qualification", "closure_code", "closed_at"]


class AlarmDetailSerializer(AlarmSerializer):
    events = AlarmEventSerializer(many=True, read_only=True)

    class Meta(AlarmSerializer.Meta):
        fields = [*AlarmSerializer.Meta.fields, "events"]


class EventSerializer(serializers.ModelSerializer):
    received_at = serializers.DateTimeField(source="signal.received_at", read_only=True)
    account = serializers.CharField(source="signal.account", read_only=True)
    site = serializers.IntegerField(source="site_id", read_only=True, allow_null=True)
    alarm = serializers.IntegerField(source="alarm_id", read_only=True, allow_null=True)

    class Meta:
        model = SignalEvent
        fields = ["id", "received_at", "account", "site", "protocol", "code", "qualifier", "category",
                  "priority", "description", "zone", "area", "user_number", "text", "alarm", "disposition"]


class LogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LogEntry
        fields = ["id", "created_at", "actor_kind", "actor_name", "action", "category", "customer_id",
                  "customer_label", "site_id", "site_label", "alarm_id", "alarm_label", "message",
                  "correlation_id", "corrects_id", "hash"]
