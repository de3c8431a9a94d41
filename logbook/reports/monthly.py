"""The monthly PDF report of one customer: alarms by category, response
times, false alarms, notable events."""

from __future__ import annotations

import io

from django.db.models import Q

from logbook import pdf
from logbook.models import Category, ChainHead, LogEntry
from logbook.reports.stats import DIMENSIONS, Group, alarm_facts, group_by, month_bounds

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
NOTABLE_ACTIONS = ("alarm.public_service_call", "alarm.escalated", "intervention.started",
                   "intervention.arrived", "intervention.closed")
NOTABLE_CATEGORIES = (Category.INCIDENT, Category.KEYS, Category.VISITOR, Category.CALL, Category.ADVICE)
MAX_NOTABLE = 80


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def customer_label(customer_id: int) -> str:
    label = (LogEntry.objects.filter(customer_id=customer_id).exclude(customer_label="")
             .order_by("-id").values_list("customer_label", flat=True).first())
    return label or f"Client n° {customer_id}"


def notable_events(customer_id: int, start, end) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(customer_id=customer_id, created_at__gte=start, created_at__lt=end)
        .filter(Q(action__in=NOTABLE_ACTIONS) | Q(category__in=NOTABLE_CATEGORIES)
                | Q(action="alarm.created", new_values__priority__in=[1, 2, "1", "2"]))
        .order_by("id")[:MAX_NOTABLE]
    )


def monthly_pdf(customer_id: int, year: int, month: int) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    regular, bold, _u = pdf.fonts()
    start, end = month_bounds(year, month)
    facts = alarm_facts(start, end, customer_id=customer_id)
    overall = Group("all", "all")
    for fact in facts:
        overall.add(fact)
    label = customer_label(customer_id)
    head = ChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first() or ""

    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = bold if style.name.startswith("Heading") or style.name == "Title" else regular
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story = [
        Paragraph(pdf.text(f"Rapport mensuel — {label}"), styles["Title"]),
        Paragraph(pdf.text(f"{MONTHS[month - 1].capitalize()} {year} — centre de télésurveillance ARC"),
                  styles["Heading3"]),
        Spacer(1, 4 * mm),
    ]

    def table(rows, widths):
        t = Table([[pdf.text(c) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), regular, 8.5), ("FONT", (0, 0), (-1, 0), bold, 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#d9dde3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return t

    story.append(Paragraph(pdf.text("Synthèse"), styles["Heading2"]))
    story.append(table([
        ["Alarmes", "Prises en 30 s", "en 60 s", "en 180 s", "Délai médian", "Délai 90 %",
         "Traitement médian", "Fausses alarmes"],
        [str(overall.alarms), _pct(overall.share(30)), _pct(overall.share(60)), _pct(overall.share(180)),
         _seconds(overall.response_p(0.5)), _seconds(overall.response_p(0.9)), _seconds(overall.handling_p(0.5)),
         f"{overall.false_alarms} ({_pct(overall.false_rate)})"],
    ], None))
    story.append(Spacer(1, 4 * mm))

    story.append(Paragraph(pdf.text("Alarmes par catégorie"), styles["Heading2"]))
    rows = [["Catégorie", "Alarmes", "Prises en 60 s", "Délai médian", "Traitement médian", "Fausses alarmes"]]
    for g in group_by(facts, DIMENSIONS["category"]):
        rows.append([g.label, str(g.alarms), _pct(g.share(60)), _seconds(g.response_p(0.5)),
                     _seconds(g.handling_p(0.5)), f"{g.false_alarms} ({_pct(g.false_rate)})"])
    if len(rows) == 1:
        rows.append(["Aucune alarme ce mois-ci", "", "", "", "", ""])
    story.append(table(rows, None))
    story.append(Spacer(1, 4 * mm))

    story.append(Paragraph(pdf.text("Par site"), styles["Heading2"]))
    rows = [["Site", "Alarmes", "Clôturées", "Fausses alarmes", "Taux"]]
    for g in group_by([f for f in facts if f.site_id], DIMENSIONS["site"]):
        rows.append([g.label, str(g.alarms), str(g.closed), str(g.false_alarms), _pct(g.false_rate)])
    if len(rows) == 1:
        rows.append(["—", "", "", "", ""])
    story.append(table(rows, [80 * mm, 20 * mm, 22 * mm, 28 * mm, 18 * mm]))
    story.append(Spacer(1, 4 * mm))

    story.append(Paragraph(pdf.text("Événements notables"), styles["Heading2"]))
    events = notable_events(customer_id, start, end)
    rows = [["Date", "Site", "Événement"]]
    for entry in events:
        rows.append([pdf.local(entry.created_at, "%d/%m %H:%M"), entry.site_label[:40],
                     Paragraph(pdf.text(entry.message[:400]).replace("&", "&amp;").replace("<", "&lt;"), small)])
    if len(rows) == 1:
        rows.append(["—", "", "Aucun événement notable"])
    t = Table(rows, colWidths=[22 * mm, 45 * mm, 110 * mm], repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), regular, 8), ("FONT", (0, 0), (-1, 0), bold, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#d9dde3")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(t)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 6.5)
        canvas.drawString(15 * mm, 8 * mm, pdf.text(
            f"Établi d'après la main courante — tête de chaîne {head} — page {doc.page}"))
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"Rapport mensuel {label} {month:02d}/{year}")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
