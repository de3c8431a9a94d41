"""URLs of the alarms app (console, journal, intake API). Mounted at the root."""

from django.urls import path  # noqa: F401

app_name = "alarms"

urlpatterns: list = []

# The operator console (CONSOLE): queue, handling view, phone calls, storm mode.
from alarms.console.urls import urlpatterns as _console_urlpatterns  # noqa: E402

urlpatterns += _console_urlpatterns
