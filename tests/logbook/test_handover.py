"""Shift handover: written, acknowledged, countersigned; every step logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from logbook import handover as registry
from logbook.models import Handover, LogEntry, Shift
from logbook.services.shifts import (
    HandoverError,
    handover_acknowledge,
    handover_countersign,
    handover_write,
    shift_start,
)
from logbook.verify import verify_chain


@pytest.fixture
def sections():
    """Our own sections, on top of what the apps registered; the registry is
    restored afterwards so other tests see the apps' sections only."""
    saved = dict(registry._SECTIONS)
    registry.register_section("Alarmes en cours", lambda user: ["#12 Intrusion — Site A1 (prise par Camille)"])
    registry.register_section("Interventions en cours", lambda user: [])
    yield
    registry._SECTIONS.clear()
    registry._SECTIONS.update(saved)


def test_the_whole_handover(db, operator, operator2, supervisor, sections):
    first = shift_start(operator=operator)
    assert shift_start(operator=operator) == first  # idempotent
    handover = handover_write(operator=operator, notes="Client C002 prévient d'un inventaire cette nuit.")
    assert {"title": "Alarmes en cours", "error": False,
            "items": ["#12 Intrusion — Site A1 (prise par Camille)"]} in handover.sections
    assert Shift.objects.get(pk=first.pk).ended_at is not None
    with pytest.raises(HandoverError):
        handover_countersign(handover_id=handover.pk, supervisor=supervisor)  # not yet acknowledged
    with pytest.raises(HandoverError):
        handover_acknowledge(handover_id=handover.pk, operator=operator)  # not one's own
    handover_acknowledge(handover_id=handover.pk, operator=operator2, remarks="Bien noté")
    assert Shift.objects.filter(operator=operator2, ended_at__isnull=True).exists()
    with pytest.raises(HandoverError):
        handover_acknowledge(handover_id=handover.pk, operator=supervisor)  # already taken
    handover_countersign(handover_id=handover.pk, supervisor=supervisor, remarks="RAS")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.COUNTERSIGNED and handover.incoming_name == "Mehdi Benali"
    actions = list(LogEntry.objects.filter(category="shift").order_by("id").values_list("action", flat=True))
    assert actions == ["shift.started", "shift.handover_written", "shift.handover_acknowledged",
                       "shift.countersigned"]
    written = LogEntry.objects.get(action="shift.handover_written")
    assert written.new_values["sections"]["Alarmes en cours"] == 1
    assert written.new_values["sections"]["Interventions en cours"] == 0
    assert verify_chain().ok


def test_a_failing_section_never_blocks_the_handover(db, operator):
    def broken(user):
        raise RuntimeError("console down")

    saved = dict(registry._SECTIONS)
    registry.register_section("Cassée", broken)
    try:
        handover = handover_write(operator=operator, notes="RAS")
    finally:
        registry._SECTIONS.clear()
        registry._SECTIONS.update(saved)
    assert {"title": "Cassée", "items": [], "error": True} in handover.sections


def test_notes_are_required(db, operator):
    with pytest.raises(HandoverError):
        handover_write(operator=operator, notes="  ")
    assert not Handover.objects.exists() and not LogEntry.objects.exists()


def test_handover_pages(client, operator, operator2, supervisor, sections):
    client.force_login(operator)
    page = client.get(reverse("logbook:handover")).content.decode()
    assert "#12 Intrusion — Site A1" in page
    client.post(reverse("logbook:shift_start"))
    client.post(reverse("logbook:handover_write"), {"notes": "Surveiller le site S003"})
    handover = Handover.objects.get()
    client.force_login(operator2)
    assert "Surveiller le site S003" in client.get(reverse("logbook:handover")).content.decode()
    assert client.post(reverse("logbook:handover_countersign", args=[handover.pk])).status_code == 403
    client.post(reverse("logbook:handover_acknowledge", args=[handover.pk]), {"remarks": "OK"})
    client.force_login(supervisor)
    page = client.get(reverse("logbook:handover")).content.decode()
    assert f'id="countersign-{handover.pk}"' in page
    client.post(reverse("logbook:handover_countersign", args=[handover.pk]), {"remarks": ""})
    handover.refresh_from_db()
    assert handover.status == Handover.Status.COUNTERSIGNED and handover.supervisor == supervisor
