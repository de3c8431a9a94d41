"""URLs of the logbook (mounted at /logbook/)."""

from django.urls import path

from logbook.views import entries, operations, reports, review

app_name = "logbook"

urlpatterns = [
    path("", entries.home, name="home"),
    path("entries/", entries.entry_create, name="entry_create"),
    path("entries/more/", entries.entries_more, name="entries_more"),
    path("entries/<int:pk>/correct/", entries.entry_correct_view, name="entry_correct"),
    path("lookup/", entries.lookup, name="lookup"),
    path("review/", review.review, name="review"),
    path("review/alarm/<int:alarm_id>/", review.timeline_alarm, name="timeline_alarm"),
    path("review/site/<int:site_id>/", review.timeline_site, name="timeline_site"),
    path("exports/", review.export_create, name="export_create"),
    path("exports/<uuid:pk>/", review.export_status, name="export_status"),
    path("exports/<uuid:pk>/download/", review.export_download, name="export_download"),
    path("handover/", operations.handover, name="handover"),
    path("handover/shift/", operations.shift_start_view, name="shift_start"),
    path("handover/write/", operations.handover_write_view, name="handover_write"),
    path("handover/<int:pk>/acknowledge/", operations.handover_acknowledge_view, name="handover_acknowledge"),
    path("handover/<int:pk>/countersign/", operations.handover_countersign_view, name="handover_countersign"),
    path("checks/", operations.checks, name="checks"),
    path("checks/<int:pk>/", operations.check_tick, name="check_tick"),
    path("dashboard/", reports.dashboard, name="dashboard"),
    path("reports/monthly/<int:customer_id>/<int:year>/<int:month>/", reports.monthly_report, name="monthly_report"),
]
