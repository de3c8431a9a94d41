"""Handling an alarm in a real Chromium: to closure through mandatory
consignes, the police-call gate, and the console in French and in English."""

from __future__ import annotations

import pytest

from alarms.models import Alarm, PublicServiceCall
from logbook.models import LogEntry
from tests.builders import make_contact, make_procedure, make_zone
from tests.console.factories import make_alarm
from tests.e2e.console_support import chromium, console_page, in_thread, open_console  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_alarm_handled_to_closure_with_mandatory_steps(console_page, web_server, operator, site_a):  # noqa: F811
    make_procedure(category="alarm", site=site_a, steps=(("call_list", True), ("notify_client", False),
                                                         ("instruction", True)))
    make_contact(site_a, name="Jeanne Martin", phone="+33611223344")
    alarm = in_thread(make_alarm, site_a, zone=make_zone(site_a, "2", label="Bureau"))
    page = open_console(console_page(web_server, operator), web_server)
    page.locator(f'#queue-body tr[data-id="{alarm.pk}"]').wait_for()
    page.keyboard.press("t")  # take the selected alarm from the keyboard
    page.wait_for_url(f"**/console/alarm/{alarm.pk}/")
    page.wait_for_function("window.arcHandling && window.arcHandling.feed.status === 'live'")
    assert page.locator("a[href='tel:+33611223344']").count() == 1
    assert page.locator("#close-btn").is_disabled()
    page.locator("#sec-calls button[data-outcome='reached']").first.click()
    page.locator("#call-log", has_text="Joint").wait_for()
    steps = page.locator("#sec-steps li")
    steps.nth(0).locator("button.step-done").click()
    page.locator("#sec-steps li.done").first.wait_for()
    page.locator("#sec-steps li").nth(2).locator("input[name=reason]").fill("Consigne sans objet : client sur place")
    page.locator("#sec-steps li").nth(2).locator("button.step-skip").click()
    page.locator("#sec-steps li.skipped").wait_for()
    assert page.locator("#close-btn").is_enabled()  # the gate was refreshed out-of-band
    page.select_option("#qualification", "false_alarm")
    page.select_option("#closure-code", "cause_user")
    page.locator("#close-form textarea").fill("Mauvaise manipulation du client")
    page.locator("#close-btn").click()
    page.locator("#sec-gate", has_text="Clôturée le").wait_for()
    alarm.refresh_from_db()
    assert alarm.state == Alarm.State.CLOSED and alarm.qualification == "false_alarm"
    assert alarm.steps.filter(state="pending", mandatory=True).count() == 0
    actions = list(LogEntry.objects.filter(alarm_id=alarm.pk).order_by("id").values_list("action", flat=True))
    assert actions == ["alarm.created", "alarm.taken", "alarm.call", "alarm.step_done", "alarm.step_skipped",
                       "alarm.qualified", "alarm.closed"]


def test_the_police_call_gate(console_page, web_server, operator, site_a):  # noqa: F811
    alarm = in_thread(make_alarm, site_a, title="Intrusion réserve")
    in_thread(lambda: __import__("alarms.services.lifecycle", fromlist=["x"]).alarm_take(
        alarm_id=alarm.pk, operator=operator))
    page = console_page(web_server, operator)
    page.goto(f"{web_server}/console/alarm/{alarm.pk}/")
    assert "Levée de doute à faire" in page.locator("#verif-badge").inner_text()
    page.select_option("#public-service", "police_17")
    page.fill("#public-reference", "CIC 75-4471")
    page.locator("#public-submit").click()
    page.locator("#public-error", has_text="Levée de doute obligatoire").wait_for()
    assert not PublicServiceCall.objects.exists()
    page.select_option("#evidence-kind", "video_seen")
    page.fill("#evidence-text", "Deux individus visibles sur la caméra 2, porte arrière forcée")
    page.locator("#sec-verification button").click()
    page.locator("#verif-badge", has_text="Levée de doute faite").wait_for()
    page.select_option("#public-service", "police_17")
    page.fill("#public-reference", "CIC 75-4471")
    page.locator("#public-submit").click()
    page.locator("#sec-public", has_text="CIC 75-4471").wait_for()
    call = PublicServiceCall.objects.get()
    assert call.service == "police_17" and call.verification["reasons"] == ["video"]
    pdf = page.request.get(f"{web_server}/console/alarm/{alarm.pk}/evidence.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")


def test_the_console_in_french_and_in_english(console_page, web_server, operator, site_a):  # noqa: F811
    alarm = in_thread(make_alarm, site_a)
    french = open_console(console_page(web_server, operator), web_server)
    assert french.locator("html").get_attribute("lang") == "fr"
    assert "Raccourcis clavier" in french.locator("#shortcuts").inner_text()
    assert "Nouvelle" in french.locator(f'#queue-body tr[data-id="{alarm.pk}"]').inner_text()
    english = open_console(console_page(web_server, operator, language="en"), web_server)
    assert english.locator("html").get_attribute("lang") == "en"
    assert "Keyboard shortcuts" in english.locator("#shortcuts").inner_text()
    row = english.locator(f'#queue-body tr[data-id="{alarm.pk}"]')
    row.wait_for()
    assert "New" in row.inner_text() and "Take" in row.inner_text()
    english.goto(f"{web_server}/console/alarm/{alarm.pk}/")
    assert "Take the alarm" in english.locator("#sec-status").inner_text()
    # Switching language from the menu works as well.
    english.select_option("select[name=language]", "fr")
    english.wait_for_load_state()
    english.locator("#sec-status", has_text="Prendre l'alarme").wait_for()
