"""URLs of dispatch, mounted at /dispatch/."""

from django.urls import path

from dispatch.views import public, staff

app_name = "dispatch"

urlpatterns = [
    path("", staff.home, name="home"),
    path("timers/health/", staff.timers_health, name="timers_health"),
    path("alarm/<int:alarm_id>/callouts/", staff.alarm_callouts, name="alarm_callouts"),
    path("alarm/<int:alarm_id>/callouts/start/", staff.callout_start, name="callout_start"),
    path("alarm/<int:alarm_id>/callouts/<int:callout_id>/cancel/", staff.callout_cancel, name="callout_cancel"),
    path("alarm/<int:alarm_id>/interventions/", staff.alarm_interventions, name="alarm_interventions"),
    path("alarm/<int:alarm_id>/interventions/request/", staff.intervention_request, name="intervention_request"),
    path("alarm/<int:alarm_id>/interventions/<int:intervention_id>/", staff.intervention_update,
         name="intervention_update"),
    path("g/<str:token>/", public.guard, name="guard"),
    path("ack/<str:token>/", public.callout_ack, name="callout_ack"),
    path("sms/inbound/", public.sms_inbound, name="sms_inbound"),
]
