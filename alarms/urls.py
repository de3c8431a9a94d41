"""URLs of the alarms app (console, journal, intake API). Mounted at the root."""

from django.urls import path  # noqa: F401

app_name = "alarms"

urlpatterns: list = []
