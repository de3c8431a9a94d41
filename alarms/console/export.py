"""The levée de doute file of one alarm as one document: a printable page and
a PDF (reportlab) with the alarm, the verification, the calls, the public
services called, the comments and the logbook entries with their hashes."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alarms import selectors
from alarms.console.access import staff_required
from alarms.console.handling import _alarm
from logbook.models import LogEntry


def evidence_context(alarm) -> dict:
    return {
        "alarm": alarm, "site": alarm.site,
        "steps": list(alarm.steps.order_by("order", "id")),
        "calls": list(alarm.call_attempts.order_by("id")),
        "evidence": list(alarm.evidence.order_by("id")),
        "public_calls": list(alarm.public_calls.order_by("id")),
        "comments": list(alarm.comments.order_by("id")),
        "verification": selectors.verification_status(alarm),
        "signals": list(alarm.signal_events.select_related("signal").order_by("id")[:200]),
        "entries": list(LogEntry.objects.filter(alarm_id=alarm.pk).order_by("id")),
        "generated_at": timezone.now(),
    }


@staff_required
@require_GET
def evidence_page(request, pk: int):
    return render(request, "alarms/console/evidence.html", evidence_context(_alarm(request.user, pk)))


def _local(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S") if value else ""


@staff_required
@require_GET
def evidence_pdf(request, pk: int):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    alarm = _alarm(request.user, pk)
    ctx = evidence_context(alarm)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story = []

    def para(text, style=small):
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    def table(header, rows, widths):
        data = [[para(h) for h in header]] + [[para(c) for c in row] for row in rows] if rows else \
            [[para(h) for h in header], [para(_("(aucun)"))] + [""] * (len(header) - 1)]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                               ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    site = alarm.site
    story.append(para(_("Dossier de levée de doute — alarme A%(id)s") % {"id": alarm.pk}, styles["Title"]))
    story.append(para(f"{alarm.title} — {alarm.get_category_display()} — P{alarm.priority} — "
                      f"{alarm.get_state_display()}", styles["Heading3"]))
    if site:
        story.append(para(f"{site.name} — {site.full_address()} — {site.customer.name}"))
    story.append(para(_("Créée le %(c)s ; prise le %(t)s ; clôturée le %(e)s") % {
        "c": _local(alarm.created_at), "t": _local(alarm.first_taken_at), "e": _local(alarm.closed_at)}))
    if alarm.closed_at:
        story.append(para(_("Qualification : %(q)s ; code de clôture : %(c)s ; %(n)s") % {
            "q": alarm.get_qualification_display(), "c": alarm.closure_code, "n": alarm.closure_note}))
    verification = ctx["verification"]
    story.append(Spacer(1, 4 * mm))
    story.append(para(_("Levée de doute : %(s)s (%(r)s)") % {
        "s": _("faite") if verification["reasons"] else _("non faite"),
        "r": ", ".join(verification["reasons"]) or "-"}, styles["Heading4"]))
    story.append(table([_("Heure"), _("Type"), _("Constat"), _("Opérateur")],
                       [(_local(e.created_at), e.get_kind_display(), e.text, e.operator_name) for e in ctx["evidence"]],
                       [28, 30, 90, 30]))
    story.append(para(_("Appels"), styles["Heading4"]))
    story.append(table([_("Heure"), _("Contact"), _("Numéro"), _("Résultat"), _("Opérateur")],
                       [(_local(c.created_at), c.name, c.phone, c.get_outcome_display(), c.operator_name)
                        for c in ctx["calls"]], [28, 40, 32, 42, 36]))
    story.append(para(_("Services publics"), styles["Heading4"]))
    story.append(table([_("Heure"), _("Service"), _("Référence"), _("Opérateur")],
                       [(_local(p.created_at), p.get_service_display(), p.reference, p.operator_name)
                        for p in ctx["public_calls"]], [28, 45, 70, 35]))
    story.append(para(_("Consignes"), styles["Heading4"]))
    story.append(table(["#", _("Étape"), _("État"), _("Remarque"), _("Par")],
                       [(s.order, f"{s.kind_label} {s.text}", s.get_state_display(), s.note, s.done_by_name)
                        for s in ctx["steps"]], [8, 70, 25, 45, 30]))
    story.append(para(_("Commentaires"), styles["Heading4"]))
    story.append(table([_("Heure"), _("Auteur"), _("Texte")],
                       [(_local(c.created_at), c.author_name, c.text) for c in ctx["comments"]], [28, 35, 115]))
    story.append(para(_("Main courante (entrées chaînées)"), styles["Heading4"]))
    story.append(table([_("N°"), _("Heure"), _("Auteur"), _("Message"), _("Empreinte")],
                       [(e.pk, _local(e.created_at), e.actor_name, e.message, e.hash[:16]) for e in ctx["entries"]],
                       [12, 28, 28, 80, 30]))
    story.append(Spacer(1, 4 * mm))
    story.append(para(_("Document généré le %(t)s par %(u)s") % {
        "t": _local(ctx["generated_at"]), "u": request.user.get_full_name() or request.user.get_username()}))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=f"A{alarm.pk}").build(story)
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="alarme-A{alarm.pk}-levee-de-doute.pdf"'
    return response
