"""The guard's mission page in a real Chromium on a phone-sized screen,
reached by the signed link alone (no account)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dispatch.models import Intervention
from dispatch.services.interventions import intervention_request
from logbook.models import LogEntry
from sites.models import InterventionProvider
from tests.dispatch.conftest import raise_alarm

pytestmark = [pytest.mark.e2e]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_guard_runs_the_mission_from_a_phone(web_server, site_a, operator, transactional_db):
    from playwright.sync_api import sync_playwright

    provider = InterventionProvider.objects.create(name="Garde Rapide 75", phone="+33140000000", area="75")
    alarm = raise_alarm(site_a, code="BA")
    intervention = intervention_request(alarm_id=alarm.pk, provider_id=provider.pk, operator=operator)
    path = intervention.guard_url.split("://", 1)[1].split("/", 1)[1]
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_context(locale="fr-FR", **PHONE).new_page()
        page.set_default_timeout(8000)
        page.goto(f"{web_server}/{path}")
        assert page.get_by_text(site_a.full_address()).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.fill("input[name=guard_name]", "Karim B.")
        page.get_by_role("button", name="Je suis en route").click()
        page.get_by_role("button", name="Je suis sur place").click()
        page.fill("textarea[name=report]", "Vitre de la porte arrière brisée, pas d'intrus. Police sur place.")
        page.set_input_files("input[name=photos]", files=[
            {"name": "porte.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}])
        page.get_by_role("button", name="Envoyer le rapport").click()
        page.get_by_text("Rapport transmis au centre").wait_for()
        browser.close()
    intervention.refresh_from_db()
    assert intervention.state == Intervention.State.REPORTED and intervention.guard_name == "Karim B."
    assert intervention.en_route_at and intervention.on_site_at and intervention.photos.count() == 1
    assert LogEntry.objects.filter(intervention_id=intervention.pk, action="intervention.report").exists()
