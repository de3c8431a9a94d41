"""Console URLs, appended to alarms/urls.py (namespace "alarms")."""

from django.urls import path

from alarms.console import export, handling, phone, queue, storm

urlpatterns = [
    path("console/", queue.console, name="console"),
    path("console/snapshot.json", queue.snapshot, name="console_snapshot"),
    path("console/events.json", queue.events, name="console_events"),
    path("console/operators.json", queue.operators, name="console_operators"),
    path("console/alarm/<int:pk>/take/", queue.take, name="alarm_take"),
    path("console/alarm/<int:pk>/", handling.alarm, name="alarm"),
    path("console/alarm/<int:pk>/section/<slug:name>/", handling.section, name="alarm_section"),
    path("console/alarm/<int:pk>/do/<slug:name>/", handling.action, name="alarm_action"),
    path("console/alarm/<int:pk>/evidence/", export.evidence_page, name="alarm_evidence"),
    path("console/alarm/<int:pk>/evidence.pdf", export.evidence_pdf, name="alarm_evidence_pdf"),
    path("console/phone/", phone.phone_call, name="phone_call"),
    path("console/storm/", storm.storm, name="storm"),
    path("console/storm/start/", storm.storm_start, name="storm_start"),
    path("console/storm/<int:pk>/end/", storm.storm_end, name="storm_end"),
    path("console/storm/logged/", storm.storm_logged, name="storm_logged"),
]
