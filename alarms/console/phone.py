"""The incoming phone call guided form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from alarms.console.access import staff_required
from alarms.models import PhoneCall
from alarms.selectors import queue_for
from alarms.services.lifecycle import AlarmError
from alarms.services.phone import URGENCY, phone_call_record
from sites.selectors import sites_visible_to


class PhoneCallForm(forms.Form):
    caller_name = forms.CharField(label=_("Qui appelle ?"), max_length=150)
    caller_role = forms.CharField(label=_("Qualité (client, voisin, agent, passant…)"), max_length=80,
                                  required=False)
    caller_phone = forms.CharField(label=_("Numéro de l'appelant"), max_length=32, required=False)
    site = forms.ModelChoiceField(label=_("Site concerné"), queryset=None, required=False,
                                  empty_label=_("— aucun / inconnu —"))
    alarm = forms.ModelChoiceField(label=_("Compléter une alarme en cours"), queryset=None, required=False,
                                   empty_label=_("— non, nouvel appel —"))
    location = forms.CharField(label=_("Où ? (adresse, bâtiment, étage)"), max_length=250)
    seen = forms.ChoiceField(label=_("Que constate l'appelant ?"), choices=PhoneCall.Seen.choices,
                             widget=forms.RadioSelect)
    description = forms.CharField(label=_("Ce qu'il décrit"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False)
    danger = forms.BooleanField(label=_("Quelqu'un est-il en danger ?"), required=False)
    reformulation = forms.CharField(label=_("Reformulation lue à l'appelant"),
                                    widget=forms.Textarea(attrs={"rows": 3}))
    read_back = forms.BooleanField(label=_("L'appelant a confirmé la reformulation"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_visible_to(user).select_related("customer")
        self.fields["alarm"].queryset = queue_for(user)


@staff_required
def phone_call(request):
    form = PhoneCallForm(request.POST or None, user=request.user,
                         initial={"alarm": request.GET.get("alarm"), "site": request.GET.get("site")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = phone_call_record(
                operator=request.user, caller_name=data["caller_name"], caller_phone=data["caller_phone"],
                caller_role=data["caller_role"], site=data["site"] or (data["alarm"].site if data["alarm"] else None),
                alarm_id=data["alarm"].pk if data["alarm"] else None, location=data["location"], seen=data["seen"],
                description=data["description"], danger=data["danger"], reformulation=data["reformulation"],
                read_back=data["read_back"])
        except AlarmError as exc:
            form.add_error(None, str(exc))
        else:
            if call.alarm_id:
                messages.success(request, _("Appel enregistré sur l'alarme A%(id)s (priorité %(p)s).") % {
                    "id": call.alarm_id, "p": call.priority})
                return redirect("alarms:alarm", pk=call.alarm_id)
            messages.success(request, _("Appel consigné en main courante (conseil)."))
            return redirect("alarms:console")
    urgency = {k: v[1] for k, v in URGENCY.items()}
    return render(request, "alarms/console/phone.html", {"form": form, "urgency": urgency})
