"""Forms of the portal: parse and validate; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sites.models import Contact


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "phone", "phone_alt", "email", "in_call_list", "notes"]


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("Consigne"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Par exemple : « site fermé jusqu'au 3 janvier », "
                                       "« clés chez le voisin au n° 12 »."))
    starts_at = forms.DateTimeField(label=_("À partir du"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Jusqu'au"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class TestForm(forms.Form):
    hours = forms.IntegerField(label=_("Durée de la mise en test (heures)"), min_value=1, max_value=168, initial=2)
    reason = forms.CharField(label=_("Motif"), max_length=200, required=False)


class DecisionForm(forms.Form):
    accept = forms.BooleanField(required=False)
    note = forms.CharField(max_length=300, required=False)


class OtpForm(forms.Form):
    token = forms.RegexField(label=_("Code à 6 chiffres"), regex=r"^\s*\d{6}\s*$",
                             widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                           "autofocus": True}))
