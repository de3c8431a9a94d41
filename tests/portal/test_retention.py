"""Retention and GDPR: purges never break the logbook's verification, and
erasure pseudonymises contacts without touching the chain."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from alarms.models import Signal
from logbook.models import LogEntry
from logbook.services import entry_append
from logbook.verify import verify_chain
from portal.models import LogbookCheckpoint
from portal.retention import RetentionError, archive_logbook, purge_signals, verify_archive
from sites.models import Contact
from sites.services_contacts import person_erase, person_export
from tests.builders import make_contact

pytestmark = pytest.mark.django_db


def _entries(n: int, label: str) -> None:
    for i in range(n):
        entry_append(action="note", message=f"{label} {i}", category="note")


def _db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def test_logbook_archive_keeps_verification_from_the_checkpoint(tmp_path):
    _entries(5, "old")
    cutoff = _db_now()
    _entries(3, "recent")
    assert verify_chain().ok
    assert archive_logbook(older_than_days=400, archive_dir=tmp_path) is None  # nothing that old
    checkpoint = archive_logbook(before=cutoff, archive_dir=tmp_path)
    assert checkpoint is not None and checkpoint.count == 5
    messages = list(LogEntry.objects.order_by("id").values_list("message", flat=True))
    assert messages[:3] == ["recent 0", "recent 1", "recent 2"] and messages[-1].startswith("Rétention")
    result = verify_chain()
    assert result.ok, str(result)
    assert result.checked == 4
    archive = verify_archive(tmp_path / checkpoint.archive_path.rsplit("/", 1)[-1])
    assert archive == {"entries": 5, "last_id": checkpoint.last_id, "last_hash": checkpoint.last_hash}
    # Nothing older left: a second run archives nothing; a later one chains onto the first checkpoint.
    assert archive_logbook(before=cutoff, archive_dir=tmp_path) is None
    second = archive_logbook(before=_db_now(), archive_dir=tmp_path)
    assert second.count == 5 + 4 and verify_chain().ok


def test_deleting_outside_a_checkpoint_is_still_refused_and_detected(tmp_path):
    _entries(3, "kept")
    first = LogEntry.objects.order_by("id").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('arc.logbook_purge_upto', %s, true)", [str(first.pk)])
            cursor.execute("DELETE FROM logbook_logentry WHERE id = %s", [first.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=first.pk).update(message="changed")
    # A forged checkpoint that does not match the chain is caught by verification.
    LogbookCheckpoint.objects.create(last_id=first.pk, last_hash="f" * 64, count=1, archive_path="x",
                                     archive_sha256="0" * 64, created_by_name="forger")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('arc.logbook_purge_upto', %s, true)", [str(first.pk)])
            cursor.execute("DELETE FROM logbook_logentry WHERE id = %s", [first.pk])
    assert not verify_chain().ok


def test_archive_refuses_a_broken_chain(tmp_path):
    _entries(2, "old")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE logbook_logentry DISABLE TRIGGER logbook_no_update")
        cursor.execute("UPDATE logbook_logentry SET message = 'tampered' WHERE id = (SELECT min(id) FROM logbook_logentry)")
        cursor.execute("ALTER TABLE logbook_logentry ENABLE TRIGGER logbook_no_update")
    with pytest.raises(RetentionError):
        archive_logbook(before=_db_now(), archive_dir=tmp_path)
    assert LogEntry.objects.count() == 2 and not list(tmp_path.iterdir())


def test_purge_signals_keeps_recent_and_pending(site_a):
    old = timezone.now() - dt.timedelta(days=500)
    kept_pending = Signal.objects.create(received_at=old, receiver="rx1", transport="tcp", outcome="accepted",
                                         process_state="pending", site=site_a)
    Signal.objects.create(received_at=old, receiver="rx1", transport="tcp", outcome="accepted", site=site_a)
    recent = Signal.objects.create(received_at=timezone.now(), receiver="rx1", transport="tcp", outcome="accepted")
    assert purge_signals(older_than_days=400) == 1
    assert set(Signal.objects.values_list("pk", flat=True)) == {kept_pending.pk, recent.pk}
    assert LogEntry.objects.filter(action="retention.signals_purged").exists()


def test_gdpr_export_and_erasure_pseudonymise_without_breaking_the_chain(site_a, supervisor, capsys):
    contact = make_contact(site_a, "Jeanne Valjean", "+33612345678", email="jeanne@example.org")
    make_contact(site_a, "Autre Personne", "+33698765432")
    entry_append(action="contact.updated", message=f"Contact n°{contact.pk} modifié", site=site_a, category="config")
    exported = person_export(email="JEANNE@example.org")
    assert [c["name"] for c in exported["contacts"]] == ["Jeanne Valjean"]
    call_command("gdpr", "export", "--phone", "+33612345678")
    assert json.loads(capsys.readouterr().out)["contacts"][0]["email"] == "jeanne@example.org"
    assert person_erase(actor=supervisor, email="jeanne@example.org", reason="demande du 12/11") == [contact.pk]
    contact.refresh_from_db()
    assert (contact.name, contact.phone, contact.email) == (f"Contact effacé n°{contact.pk}", "", "")
    assert contact.pseudonymised_at is not None and not contact.in_call_list
    assert Contact.objects.filter(name="Autre Personne").exists()
    assert verify_chain().ok
    assert not LogEntry.objects.filter(message__icontains="Valjean").exists()
    assert person_export(email="jeanne@example.org")["contacts"] == []


def test_daily_retention_task_is_scheduled_and_runs_once_at_a_time(site_a, settings):
    from portal.tasks import RETENTION_LOCK, retention

    assert settings.CELERY_BEAT_SCHEDULE["portal-retention"]["task"] == "portal.retention"
    old = timezone.now() - dt.timedelta(days=settings.RETENTION_SIGNALS_DAYS + 1)
    Signal.objects.create(received_at=old, receiver="rx1", transport="tcp", outcome="accepted", site=site_a)
    # Another run holds the lock: this one does nothing.
    import psycopg

    s = connection.settings_dict
    other = psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"], autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [RETENTION_LOCK])
        retention()
        assert Signal.objects.count() == 1
        other.execute("SELECT pg_advisory_unlock(%s)", [RETENTION_LOCK])  # (closing alone releases it later)
    finally:
        other.close()
    retention()
    assert Signal.objects.count() == 0
