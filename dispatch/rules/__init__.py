"""Importing this package registers every deadline rule with the engine."""

from dispatch.rules import aftercare, callouts, escalation, interventions, schedules, supervision  # noqa: F401
