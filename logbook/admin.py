from django.contrib import admin

from logbook.models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Read-only: the logbook is written by services, never edited."""

    list_display = ("id", "created_at", "actor_name", "category", "action", "site_label", "message")
    list_filter = ("category", "actor_kind")
    search_fields = ("message", "site_label", "customer_label", "actor_name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
