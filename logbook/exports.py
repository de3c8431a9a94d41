"""CSV and PDF exports of a filtered logbook view.

Every export carries the proof: each line its hash, and the PDF footer the
chain head hash, the result of a full chain verification run for this
export, and the head hash of the day (the hash of the last entry written
before the end of the exported period's last day, or of today).
Small exports are built in the request; large ones by a worker
(``logbook.tasks.export_build_task``), which keeps ``ExportJob.progress``
up to date for the page that polls it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from logbook import pdf
from logbook.models import ChainHead, ExportJob, LogEntry
from logbook.selectors import ReviewFilters, entries_filtered
from logbook.verify import Verification, verify_chain

logger = logging.getLogger(__name__)

# Built in the request when the export and the chain to verify are both small.
INLINE_MAX_ROWS = 2000
INLINE_MAX_CHAIN = 50_000
CHUNK = 2000

CSV_HEADERS = ["id", "horodatage", "auteur", "type_auteur", "categorie", "action", "client_id", "client",
               "site_id", "site", "alarme_id", "alarme", "intervention_id", "intervention", "message",
               "anciennes_valeurs", "nouvelles_valeurs", "correlation", "corrige", "hash_precedent", "hash"]


@dataclass
class Proof:
    verification: Verification
    day: dt.date
    day_head_hash: str

    def lines(self) -> list[str]:
        v = self.verification
        status = (f"Vérification de la chaîne : OK ({v.checked} entrées)" if v.ok
                  else f"Vérification de la chaîne : ROMPUE à l'entrée {v.first_broken_id} — {v.reason}")
        return [f"Tête de chaîne : {v.head_hash}", status,
                f"Hash de tête du {self.day:%d/%m/%Y} : {self.day_head_hash}"]


def export_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def day_head_hash(day: dt.date) -> str:
    """The hash of the last entry written before the end of ``day`` (local)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tz)
    row = (LogEntry.objects.filter(created_at__lt=end).order_by("-created_at", "-id")
           .values_list("hash", flat=True).first())
    return row or "0" * 64


def make_proof(filters: ReviewFilters, progress=None) -> Proof:
    today = timezone.localdate()
    day = min(filters.date_to, today) if filters.date_to else today
    return Proof(verify_chain(progress=progress), day, day_head_hash(day))


def _row(entry: LogEntry) -> list:
    return [entry.pk, pdf.local(entry.created_at), entry.actor_name, entry.actor_kind, entry.category,
            entry.action, entry.customer_id or "", entry.customer_label, entry.site_id or "", entry.site_label,
            entry.alarm_id or "", entry.alarm_label, entry.intervention_id or "", entry.intervention_label,
            entry.message, _json(entry.old_values), _json(entry.new_values), entry.correlation_id,
            entry.corrects_id or "", entry.prev_hash, entry.hash]


def _json(value) -> str:
    import json

    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _safe_cell(value):
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it
    # (CSV injection), the text stays readable.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _iter_entries(filters: ReviewFilters):
    last = 0
    qs = entries_filtered(filters)
    while True:
        batch = list(qs.filter(id__gt=last).order_by("id")[:CHUNK])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def write_csv(out, filters: ReviewFilters, proof: Proof, progress=None) -> int:
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_HEADERS)
    count = 0
    for entry in _iter_entries(filters):
        writer.writerow([_safe_cell(v) for v in _row(entry)])
        count += 1
        if progress is not None and count % CHUNK == 0:
            progress(count)
    # The proof as trailing comment lines, so a spreadsheet shows it after the data.
    for line in proof.lines():
        writer.writerow([f"# {line}"])
    return count


def _describe(filters: ReviewFilters) -> str:
    params = filters.as_params()
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "aucun filtre"


def write_pdf(out, filters: ReviewFilters, proof: Proof, progress=None) -> int:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    regular, bold, _unicode = pdf.fonts()
    width, height = landscape(A4)
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1)
    canvas.setTitle("Main courante — export")
    margin, size, leading = 28, 7.5, 9.5
    columns = [("N°", 44), ("Horodatage", 78), ("Auteur", 90), ("Catégorie", 58), ("Action", 100),
               ("Client / site", 150), ("Alarme", 60)]
    msg_x = margin + sum(w for _n, w in columns)
    msg_w = width - margin - msg_x - 64
    hash_x = width - margin - 60
    page = 0
    y = 0.0

    def footer():
        canvas.setFont(regular, 6.5)
        lines = proof.lines()
        for i, line in enumerate(lines):
            canvas.drawString(margin, 14 + (len(lines) - 1 - i) * 8, pdf.text(line))
        canvas.drawRightString(width - margin, 14, f"page {page}")

    def new_page():
        nonlocal page, y
        if page:
            footer()
            canvas.showPage()
        page += 1
        canvas.setFont(bold, 11)
        canvas.drawString(margin, height - margin, pdf.text("Main courante — export"))
        canvas.setFont(regular, 7.5)
        canvas.drawString(margin, height - margin - 12,
                          pdf.text(f"Filtres : {_describe(filters)} — édité le {pdf.local(timezone.now())}"))
        y = height - margin - 30
        canvas.setFont(bold, size)
        x = margin
        for name, w in columns:
            canvas.drawString(x, y, pdf.text(name))
            x += w
        canvas.drawString(msg_x, y, "Message")
        canvas.drawString(hash_x, y, "Hash")
        y -= leading + 2

    new_page()
    count = 0
    for entry in _iter_entries(filters):
        message = entry.message
        if entry.corrects_id:
            message = f"[corrige n° {entry.corrects_id}] {message}"
        lines = pdf.wrap(message, regular, size, msg_w)
        where = " / ".join(v for v in (entry.customer_label, entry.site_label) if v)
        where_lines = pdf.wrap(where, regular, size, columns[5][1] - 4)[:3]
        needed = max(len(lines), len(where_lines)) * leading
        if y - needed < 48:
            new_page()
        canvas.setFont(regular, size)
        cells = [str(entry.pk), pdf.local(entry.created_at, "%d/%m/%y %H:%M:%S"), entry.actor_name[:22],
                 entry.get_category_display()[:14], entry.action[:24], None, entry.alarm_label[:14]]
        x = margin
        for (_name, w), cell in zip(columns, cells, strict=True):
            if cell is not None:
                canvas.drawString(x, y, pdf.text(cell))
            x += w
        for i, line in enumerate(where_lines):
            canvas.drawString(margin + sum(w for _n, w in columns[:5]), y - i * leading, line)
        for i, line in enumerate(lines):
            canvas.drawString(msg_x, y - i * leading, line)
        canvas.setFont("Courier", 6)
        canvas.drawString(hash_x, y, entry.hash[:12])
        y -= needed + 2
        count += 1
        if progress is not None and count % CHUNK == 0:
            progress(count)
    if not count:
        canvas.setFont(regular, 9)
        canvas.drawString(margin, y, pdf.text("Aucune entrée pour ces filtres."))
    footer()
    canvas.save()
    return count


WRITERS = {ExportJob.Format.CSV: write_csv, ExportJob.Format.PDF: write_pdf}


def file_name(job_or_format, filters: ReviewFilters) -> str:
    fmt = getattr(job_or_format, "format", job_or_format)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return f"main-courante-{stamp}.{fmt}"


def can_build_inline(filters: ReviewFilters) -> bool:
    head = ChainHead.objects.filter(pk=1).values_list("count", flat=True).first() or 0
    if head > INLINE_MAX_CHAIN:
        return False
    return entries_filtered(filters)[: INLINE_MAX_ROWS + 1].count() <= INLINE_MAX_ROWS


def build_inline(fmt: str, filters: ReviewFilters) -> tuple[bytes, Proof, int]:
    proof = make_proof(filters)
    if fmt == ExportJob.Format.CSV:
        text = io.StringIO()
        count = write_csv(text, filters, proof)
        return ("\ufeff" + text.getvalue()).encode("utf-8"), proof, count  # BOM: spreadsheets read UTF-8
    data = io.BytesIO()
    count = write_pdf(data, filters, proof)
    return data.getvalue(), proof, count


def export_build(job_id) -> bool:
    """Build one queued export (the worker's side). Claims the job with a
    conditional UPDATE, so a redelivered task never builds it twice. Returns
    whether this call built it."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), progress=1)
    if not claimed:
        return False
    job = ExportJob.objects.get(pk=job_id)
    filters = ReviewFilters.parse(job.filters)
    path = export_dir() / f"{job.pk}.{job.format}"
    try:
        # Progress: verification is the first half, writing the second.
        def verified(checked, total):
            ExportJob.objects.filter(pk=job.pk).update(progress=max(1, min(49, int(49 * checked / max(total, 1)))))

        proof = make_proof(filters, progress=verified)
        total = max(entries_filtered(filters).count(), 1)

        def written(count):
            ExportJob.objects.filter(pk=job.pk).update(rows_done=count,
                                                       progress=min(99, 50 + int(49 * count / total)))

        ExportJob.objects.filter(pk=job.pk).update(progress=50)
        if job.format == ExportJob.Format.CSV:
            with open(path, "w", encoding="utf-8-sig", newline="") as out:
                count = write_csv(out, filters, proof, written)
        else:
            with open(path, "wb") as out:
                count = write_pdf(out, filters, proof, written)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE, progress=100, rows_done=count, file_name=file_name(job, filters),
            head_hash=proof.verification.head_hash, verification=proof.lines()[1][:300],
            finished_at=timezone.now())
    except Exception as exc:  # the job row says what went wrong; the worker carries on
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=str(exc)[:2000],
                                                   finished_at=timezone.now())
        path.unlink(missing_ok=True)
    return True


def export_path(job: ExportJob) -> Path:
    return export_dir() / f"{job.pk}.{job.format}"
