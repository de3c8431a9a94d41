"""The response-time dashboard and the monthly customer report."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from logbook.access import supervisor_required
from logbook.models import ReportTargets
from logbook.reports import charts, monthly_pdf
from logbook.reports.stats import THRESHOLDS, WINDOWS, collect, window_bounds

WINDOW_LABELS = {"hour": _("Dernière heure"), "shift": _("Poste en cours"), "day": _("Aujourd'hui"),
                 "month": _("Ce mois-ci")}
DIMENSION_LABELS = {"priority": _("Par priorité"), "category": _("Par catégorie"), "operator": _("Par opérateur"),
                    "customer": _("Par client")}


def _dashboard_context(request) -> dict:
    window = request.GET.get("window", "shift")
    if window not in WINDOWS:
        window = "shift"
    targets = ReportTargets.current()
    start, end = window_bounds(window, shift_hours=targets.shift_hours())
    data = collect(start=start, end=end, targets=targets)
    overall = data["overall"]
    target_of = {30: targets.share_30s, 60: targets.share_60s, 180: targets.share_180s}
    share_chart = charts.share_bars(
        [(f"≤ {t} s", overall.share(t), target_of[t]) for t in THRESHOLDS],
        title=str(_("Alarmes prises dans le délai")))
    dimensions = []
    for name, groups in data["groups"].items():
        rows = []
        for g in groups[:15]:
            rows.append({"group": g, "shares": [(t, g.share(t), target_of[t]) for t in THRESHOLDS],
                         "median": g.response_p(0.5), "p90": g.response_p(0.9),
                         "handling_median": g.handling_p(0.5), "handling_p90": g.handling_p(0.9)})
        chart = charts.share_bars([(g.label, g.share(60), targets.share_60s) for g in groups[:12]],
                                  title=str(DIMENSION_LABELS[name]))
        dimensions.append({"name": name, "label": DIMENSION_LABELS[name], "rows": rows, "chart": chart})
    return {
        "window": window, "windows": [(w, WINDOW_LABELS[w]) for w in WINDOWS], "data": data, "overall": overall,
        "targets": targets, "target_of": target_of, "share_chart": share_chart, "dimensions": dimensions,
        "handling_chart": charts.histogram(overall.handlings, target_s=targets.handling_minutes * 60,
                                           title=str(_("Durées de traitement"))),
        "workload_chart": charts.value_bars([(w["label"], w["per_hour"]) for w in data["workload"][:15]],
                                            unit="/h", title=str(_("Alarmes par heure de présence"))),
        "false_chart": charts.value_bars(
            [(g.label, g.false_rate or 0) for g in data["site_rates"] if g.closed][:15], unit=" %",
            threshold=targets.false_alarm_threshold, title=str(_("Taux de fausses alarmes par site"))),
    }


@supervisor_required
@require_GET
def dashboard(request):
    context = _dashboard_context(request)
    template = "logbook/_dashboard_panel.html" if request.htmx else "logbook/dashboard.html"
    return render(request, template, context)


@supervisor_required
@require_GET
def monthly_report(request, customer_id: int, year: int, month: int):
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    response = HttpResponse(monthly_pdf(customer_id, year, month), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rapport-{customer_id}-{year}-{month:02d}.pdf"'
    return response
