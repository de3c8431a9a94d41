"""Admin of dispatch: the escalation ladder and webhooks are configuration
(edits logged); call-outs, interventions and failing deadlines are shown
read-only (services write them)."""

from django.contrib import admin

from dispatch.models import (
    CallOut,
    CallOutAttempt,
    EscalationRung,
    Intervention,
    InterventionPhoto,
    TimerFailure,
    WebhookEndpoint,
)
from logbook.admin_logging import LoggedAdminMixin


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscalationRung)
class EscalationRungAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("priority", "category", "level", "after_seconds", "audience", "colour", "repeat_seconds", "label")
    list_filter = ("priority", "audience")
    ordering = ("priority", "category", "level")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "url", "active")
    list_filter = ("active",)
    autocomplete_fields = ("customer",)


class AttemptInline(admin.TabularInline):
    model = CallOutAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "contact_name", "channel", "address", "state", "tries", "due_at", "finished_at",
              "provider_id", "error")
    readonly_fields = fields


@admin.register(CallOut)
class CallOutAdmin(ReadOnly):
    list_display = ("id", "created_at", "site", "alarm", "reason", "state", "acknowledged_by")
    list_filter = ("reason", "state")
    inlines = [AttemptInline]
    show_full_result_count = False


class PhotoInline(admin.TabularInline):
    model = InterventionPhoto
    extra = 0
    can_delete = False
    readonly_fields = ("image", "uploaded_at", "size")


@admin.register(Intervention)
class InterventionAdmin(ReadOnly):
    list_display = ("id", "requested_at", "site", "provider", "state", "eta_at", "on_site_at", "eta_overrun_at")
    list_filter = ("state", "provider")
    inlines = [PhotoInline]
    show_full_result_count = False


@admin.register(TimerFailure)
class TimerFailureAdmin(ReadOnly):
    list_display = ("kind", "object_id", "failures", "retry_at", "last_error", "first_failed_at")
    list_filter = ("kind",)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # forget a row that will never work again
