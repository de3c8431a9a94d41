from django.contrib import admin

from logbook.admin_logging import LoggedAdminMixin
from logbook.models import CheckDefinition, CheckRecord, ExportJob, Handover, LogEntry, ReportTargets, Shift


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Read-only: the logbook is written by services, never edited."""

    list_display = ("id", "created_at", "actor_name", "category", "action", "site_label", "message")
    list_filter = ("category", "actor_kind")
    search_fields = ("message", "site_label", "customer_label", "actor_name")
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over millions of rows


@admin.register(CheckDefinition)
class CheckDefinitionAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("label", "equipment", "frequency", "due_time", "due_weekday", "active")
    list_filter = ("frequency", "equipment", "active")
    ordering = ("frequency", "order")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: records point at it


@admin.register(ReportTargets)
class ReportTargetsAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "share_30s", "share_60s", "share_180s", "handling_minutes", "false_alarm_threshold")

    def has_add_permission(self, request):
        return not ReportTargets.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CheckRecord)
class CheckRecordAdmin(ReadOnlyAdmin):
    list_display = ("done_at", "definition", "operator_name", "result", "remarks")
    list_filter = ("result", "definition")


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ("operator_name", "started_at", "ended_at")


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ("written_at", "outgoing_name", "incoming_name", "supervisor_name", "status")
    list_filter = ("status",)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "requested_by_name", "format", "status", "progress", "rows_done")
