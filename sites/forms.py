from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sites.models import Contact, Site, Transmitter, validate_key
from sites.selectors import procedure_for


class TransmitterForm(forms.ModelForm):
    """The key is write-only: shown masked, replaced only when typed again."""

    key = forms.CharField(
        label=_("clé"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("AES-128 : 32 chiffres hexadécimaux ou 16 caractères ASCII ; AES-192 : 48 ou 24 ; "
                    "AES-256 : 64 ou 32. Laisser vide pour conserver la clé enregistrée."),
    )

    class Meta:
        model = Transmitter
        fields = ["site", "account", "receiver_prefix", "line_prefix", "encryption", "key_format", "key",
                  "allow_plain", "binary_crc", "ats_category", "supervision_seconds", "test_interval_seconds",
                  "signals_per_minute", "enabled"]

    def clean(self):
        data = super().clean()
        encryption = data.get("encryption")
        key_format = data.get("key_format")
        key = data.get("key") or ""
        if encryption is None or key_format is None:
            return data
        if key:
            try:
                validate_key(key, encryption, key_format)
            except ValidationError as exc:
                self.add_error("key", exc)
        elif encryption != Transmitter.Encryption.NONE:
            unchanged = self.instance.pk and self.instance.key_encrypted and not (
                {"encryption", "key_format"} & set(self.changed_data))
            if not unchanged:
                self.add_error("key", _("Saisissez la clé correspondant au chiffrement et au format choisis."))
        return data

    def save(self, commit=True):
        instance = super().save(commit=False)
        key = self.cleaned_data.get("key")
        if instance.encryption == Transmitter.Encryption.NONE:
            instance.key_encrypted = ""
        elif key:
            instance.set_key(key)
        if commit:
            instance.save()
        return instance

    def _post_clean(self):
        # Model.clean() needs the key before it checks "encrypted needs a key".
        key = self.cleaned_data.get("key") if hasattr(self, "cleaned_data") else None
        if key:
            self.instance.set_key(key)
        super()._post_clean()


class ContactForm(forms.ModelForm):
    ok_password = forms.CharField(label=_("mot de passe"), required=False,
                                  widget=forms.PasswordInput(render_value=False),
                                  help_text=_("Mot de passe donné au téléphone. Vide : inchangé."))
    duress_password = forms.CharField(label=_("mot de passe sous contrainte"), required=False,
                                      widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = Contact
        fields = ["site", "order", "name", "role", "phone", "phone_alt", "email", "in_call_list", "notes", "user"]

    def clean_phone(self):
        from sites.phones import normalise_phone

        return normalise_phone(self.cleaned_data["phone"])

    def clean_phone_alt(self):
        from sites.phones import normalise_phone

        value = self.cleaned_data.get("phone_alt")
        return normalise_phone(value) if value else ""

    def clean(self):
        data = super().clean()
        ok, duress = data.get("ok_password"), data.get("duress_password")
        if ok and duress and ok == duress:
            raise ValidationError(_("Le mot de passe sous contrainte doit différer du mot de passe."))
        return data

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance.set_passwords(ok=self.cleaned_data.get("ok_password") or None,
                               duress=self.cleaned_data.get("duress_password") or None)
        if commit:
            instance.save()
        return instance


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["customer", "code", "name", "address", "postal_code", "city", "country", "region", "latitude",
                  "longitude", "timezone", "phone", "access_notes", "monitoring_state", "test_until", "armed_state",
                  "open_tolerance_minutes", "close_tolerance_minutes", "closed_on_public_holidays", "installer"]

    def clean(self):
        data = super().clean()
        if data.get("monitoring_state") == Site.Monitoring.ON_TEST and not data.get("test_until"):
            self.add_error("test_until", _("Une mise en test est bornée : indiquez sa fin."))
        if data.get("monitoring_state") == Site.Monitoring.IN_SERVICE and data.get("customer"):
            probe = Site(pk=self.instance.pk, customer=data["customer"])
            if procedure_for(probe, "alarm") is None:
                raise ValidationError(_("Ce site est surveillé mais aucune consigne ne s'y applique "
                                        "(ni du site, ni du client, ni du centre)."))
        return data
