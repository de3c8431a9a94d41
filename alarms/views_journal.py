"""The signal journal page for supervisors (URL name ``alarms:signals``)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alarms.models import Signal
from alarms.selectors_signals import signals_filtered, signals_page, signals_visible_to
from sites.roles import is_supervisor


class JournalFilter(forms.Form):
    account = forms.CharField(label=_("Compte"), required=False, max_length=20)
    site = forms.CharField(label=_("Site (code)"), required=False, max_length=20)
    outcome = forms.ChoiceField(label=_("Résultat"), required=False,
                                choices=[("", _("Tous"))] + list(Signal.Outcome.choices))
    token = forms.CharField(label=_("Jeton"), required=False, max_length=16)
    since = forms.DateTimeField(label=_("Du"), required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(label=_("Au"), required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    before = forms.IntegerField(required=False, widget=forms.HiddenInput)


@login_required
def signals(request):
    if not is_supervisor(request.user):
        raise PermissionDenied
    form = JournalFilter(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    qs = signals_filtered(signals_visible_to(request.user), account=values.get("account", ""),
                          site=values.get("site", ""), outcome=values.get("outcome", ""),
                          token=values.get("token", ""), since=values.get("since"), until=values.get("until"))
    rows, next_before = signals_page(qs, before=values.get("before"))
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "alarms/signals.html", {
        "form": form, "rows": rows, "next_before": next_before, "query": query.urlencode(),
        "now": timezone.now(), "first_page": not values.get("before"),
    })


@login_required
def signal_detail(request, pk: int):
    if not is_supervisor(request.user):
        raise PermissionDenied
    signal = get_object_or_404(signals_visible_to(request.user).select_related("site", "transmitter"), pk=pk)
    return render(request, "alarms/signal_detail.html", {
        "signal": signal, "events": signal.events.select_related("alarm", "zone_ref").order_by("position"),
        "skew": dt.timedelta(seconds=signal.clock_skew_seconds) if signal.clock_skew_seconds is not None else None,
    })
