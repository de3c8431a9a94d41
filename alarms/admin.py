"""Admin registrations of the alarms app, one module per concern."""

from alarms import admin_intake  # noqa: F401
