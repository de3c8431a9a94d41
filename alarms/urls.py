"""URLs of the alarms app (console, journal, intake API). Mounted at the root."""

from django.urls import path  # noqa: F401

app_name = "alarms"

urlpatterns: list = []

# The operator console (CONSOLE): queue, handling view, phone calls, storm mode.
from alarms.console.urls import urlpatterns as _console_urlpatterns  # noqa: E402

urlpatterns += _console_urlpatterns

# Intake (INTAKE): the signal journal and the HTTP intake of non-panel sources.
from alarms import views_journal  # noqa: E402
from alarms.api_intake import IntakeEventsView  # noqa: E402

urlpatterns += [
    path("signals/", views_journal.signals, name="signals"),
    path("signals/<int:pk>/", views_journal.signal_detail, name="signal_detail"),
    path("api/v1/events", IntakeEventsView.as_view(), name="intake_events"),
]
