"""URLs of the client portal (mounted at /portal/)."""

from django.urls import path

from portal import views, views_otp, views_staff

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", views.feed, name="feed"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/events/", views.site_events, name="site_events"),
    path("sites/<int:site_id>/logbook/", views.site_logbook, name="site_logbook"),
    path("sites/<int:site_id>/test/", views.site_test, name="site_test"),
    path("sites/<int:site_id>/test/end/", views.site_test_end, name="site_test_end"),
    path("sites/<int:site_id>/contacts/new/", views.contact_edit, name="contact_new"),
    path("sites/<int:site_id>/contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("sites/<int:site_id>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("sites/<int:site_id>/contacts/<int:contact_id>/move/", views.contact_move, name="contact_move"),
    path("sites/<int:site_id>/instructions/", views.instruction_new, name="instruction_new"),
    path("instructions/<int:instruction_id>/end/", views.instruction_end, name="instruction_end"),
    path("alarms/<int:alarm_id>/", views.alarm_detail, name="alarm"),
    path("reports/<int:customer_id>/<int:year>/<int:month>/", views.monthly_report, name="monthly_report"),
    # Centre side.
    path("centre/alarms/<int:alarm_id>/instructions/", views_staff.alarm_instructions, name="alarm_instructions"),
    path("centre/instructions/", views_staff.instructions_pending, name="instructions_pending"),
    path("centre/instructions/<int:instruction_id>/decision/", views_staff.instruction_decision,
         name="instruction_decision"),
    # Two-factor authentication (open to staff who are not verified yet).
    path("2fa/setup/", views_otp.otp_setup, name="otp_setup"),
    path("2fa/verify/", views_otp.otp_verify, name="otp_verify"),
]
