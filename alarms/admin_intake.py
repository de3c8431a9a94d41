"""Admin of intake configuration: faults (read-only), per-category restore
delay, and the event sources of POST /api/v1/events (tokens are created with
``manage.py intake_source_create``; only their hash is stored)."""

from __future__ import annotations

from django.contrib import admin

from alarms.models import CategoryIntakeSetting, Fault, IntakeSource


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ("site", "kind", "zone", "code", "opened_at", "closed_at", "signal_count")
    list_filter = ("kind", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("site__code", "site__name")
    readonly_fields = [f.name for f in Fault._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(CategoryIntakeSetting)
class CategoryIntakeSettingAdmin(admin.ModelAdmin):
    list_display = ("category", "restore_delay_seconds")


@admin.register(IntakeSource)
class IntakeSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "token_prefix", "active", "last_used_at")
    readonly_fields = ("token_prefix", "created_at", "last_used_at")
    fields = ("name", "customer", "active", "token_prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # a token is shown once, by the command that creates it
