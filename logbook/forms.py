"""Forms of the logbook pages (parse and validate; services write)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from logbook.models import MANUAL_CATEGORIES, Category, CheckRecord, ExportJob


class ManualEntryForm(forms.Form):
    category = forms.ChoiceField(label=_("Catégorie"),
                                 choices=[(c.value, c.label) for c in MANUAL_CATEGORIES])
    message = forms.CharField(label=_("Message"), max_length=4000,
                              error_messages={"required": _("Le message est vide.")},
                              widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))
    # The site/customer picker posts an id and the label it showed; the label
    # is replaced by the authoritative one when a resolver is registered.
    site_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    site_label = forms.CharField(required=False, max_length=250, widget=forms.HiddenInput)
    customer_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    customer_label = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    alarm_id = forms.IntegerField(label=_("Alarme n°"), required=False, min_value=1)

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Le message est vide."))
        return message


class CorrectionForm(forms.Form):
    message = forms.CharField(label=_("Texte corrigé"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise forms.ValidationError(_("Le message est vide."))
        return message


class HandoverForm(forms.Form):
    notes = forms.CharField(label=_("Consignes de relève"), max_length=10000,
                            widget=forms.Textarea(attrs={"rows": 6}))


class RemarksForm(forms.Form):
    remarks = forms.CharField(label=_("Remarques"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CheckForm(forms.Form):
    result = forms.ChoiceField(label=_("Résultat"), choices=CheckRecord.Result.choices)
    remarks = forms.CharField(label=_("Remarques"), required=False, max_length=4000)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportJob.Format.choices)


def category_choices(include_all: bool = True):
    choices = [(c.value, c.label) for c in Category]
    return [("", _("Toutes"))] + choices if include_all else choices
