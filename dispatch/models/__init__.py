"""Models of the dispatch app, one module per concern; import them from here."""

from dispatch.models.callouts import CallOut, CallOutAttempt, WebhookEndpoint  # noqa: F401
from dispatch.models.escalation import EscalationRung, TimerFailure, TimerState  # noqa: F401
from dispatch.models.interventions import Intervention, InterventionPhoto  # noqa: F401
from dispatch.models.schedules import SiteSchedule  # noqa: F401
