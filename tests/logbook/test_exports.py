"""Exports: CSV and PDF of a filtered view, with the chain proof; large ones
built in the background with progress."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from logbook import exports
from logbook.models import ChainHead, ExportJob, LogEntry
from logbook.selectors import ReviewFilters
from logbook.services import entry_append, manual_entry_create
from logbook.services.exports import export_request


@pytest.fixture
def sup_client(client, supervisor):
    client.force_login(supervisor)
    return client


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_of_a_filtered_view_carries_the_proof(sup_client, operator, site_a, site_b):
    manual_entry_create(author=operator, category="call", message="Appel du gérant", site=site_a)
    manual_entry_create(author=operator, category="call", message="=HYPERLINK(\"http://x\")", site=site_a)
    manual_entry_create(author=operator, category="call", message="Autre site", site=site_b)
    head = ChainHead.objects.get(pk=1)  # the export's own log line comes after its proof
    response = sup_client.post(reverse("logbook:export_create"), {"format": "csv", "site": site_a.pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _rows(response.content)
    assert rows[0][0] == "id" and [r[14] for r in rows[1:3]] == ["Appel du gérant", "'=HYPERLINK(\"http://x\")"]
    trailer = [r[0] for r in rows[3:]]
    assert f"# Tête de chaîne : {head.last_hash}" in trailer[0]
    assert trailer[1].startswith("# Vérification de la chaîne : OK")
    assert "Hash de tête du" in trailer[2]
    # Each line's own hash is exported too.
    assert rows[1][-1] == LogEntry.objects.get(message="Appel du gérant").hash
    logged = LogEntry.objects.get(action="logbook.exported")
    assert logged.new_values["rows"] == 2 and logged.category == "security"


def test_pdf_export_is_a_pdf(sup_client, operator):
    for i in range(150):  # several pages
        entry_append(action="t", message=f"Ligne {i} — œuvre, « guillemets », 20 €", actor=operator)
    response = sup_client.post(reverse("logbook:export_create"), {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response.content.count(b"/Type /Page\n") + \
        response.content.count(b"/Type /Page ") >= 2 or response.content.count(b"/Page") >= 3


def test_a_broken_chain_is_printed_as_broken(db, operator):
    from django.db import connection, transaction

    entries = [entry_append(action="t", message=f"m{i}") for i in range(3)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE logbook_logentry DISABLE TRIGGER logbook_no_update")
        cursor.execute("UPDATE logbook_logentry SET message = 'falsifié' WHERE id = %s", [entries[1].pk])
        cursor.execute("ALTER TABLE logbook_logentry ENABLE TRIGGER logbook_no_update")
    data, proof, rows = exports.build_inline("csv", ReviewFilters())
    assert not proof.verification.ok
    assert f"ROMPUE à l'entrée {entries[1].pk}" in data.decode("utf-8-sig")


def test_large_exports_go_to_the_background_with_progress(sup_client, supervisor, monkeypatch):
    monkeypatch.setattr(exports, "INLINE_MAX_ROWS", 5)
    monkeypatch.setattr(exports, "CHUNK", 10)
    enqueued = []
    monkeypatch.setattr("logbook.services.exports._enqueue", enqueued.append)
    for i in range(40):
        entry_append(action="t", message=f"m{i}")
    response = sup_client.post(reverse("logbook:export_create"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("logbook:export_status", args=[job.pk])
    page = sup_client.get(response["Location"]).content.decode()
    assert "En attente" in page and 'hx-trigger="every 1s"' in page
    assert exports.export_build(job.pk) is True
    assert exports.export_build(job.pk) is False  # a redelivered task does not build it twice
    job.refresh_from_db()
    assert job.status == "done" and job.progress == 100 and job.rows_done == 41  # + the request's own entry
    poll = sup_client.get(reverse("logbook:export_status", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Télécharger" in poll and "every 1s" not in poll
    download = sup_client.get(reverse("logbook:export_download", args=[job.pk]))
    rows = _rows(b"".join(download.streaming_content))
    assert len([r for r in rows[1:] if not r[0].startswith("#")]) == 41


def test_another_supervisor_cannot_download_my_export(client, supervisor, db):
    from tests.builders import make_user

    job = export_request(user=supervisor, fmt="csv", filters=ReviewFilters())
    other = make_user("sup2", "supervisor")
    client.force_login(other)
    assert client.get(reverse("logbook:export_status", args=[job.pk])).status_code == 404


@pytest.mark.slow
def test_a_real_worker_builds_the_export(arc_process, supervisor, monkeypatch):
    """The background path end to end: request commits, a Celery worker
    (a real process) claims the job and writes the file."""
    import time

    for i in range(30):
        entry_append(action="t", message=f"m{i}")
    worker = arc_process("celery", "-A", "arc", "worker", "--pool=solo", "--concurrency=1",
                         "-Q", "arc", "--without-heartbeat", "--without-gossip", "--without-mingle",
                         python_module=True)
    job = export_request(user=supervisor, fmt="pdf", filters=ReviewFilters())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job.status == "done", (job.status, job.error, worker.output()[-2000:])
    assert exports.export_path(job).read_bytes().startswith(b"%PDF")
