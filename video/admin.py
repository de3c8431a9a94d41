"""Cameras, clips and video patrols in the admin. Changes go to the logbook
(LoggedAdminMixin); the camera password is stored encrypted (sites.crypto)
and never shown back."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from logbook.admin_logging import LoggedAdminMixin
from video.models import Camera, CameraHealth, Clip, VideoPatrol


class CameraForm(forms.ModelForm):
    password = forms.CharField(label=_("mot de passe"), required=False, widget=forms.PasswordInput(render_value=False),
                               help_text=_("Laisser vide pour garder le mot de passe enregistré."))
    clear_password = forms.BooleanField(label=_("effacer le mot de passe"), required=False)

    class Meta:
        model = Camera
        fields = ["site", "name", "zones", "source_kind", "url", "username", "enabled", "hours_start", "hours_end",
                  "weekdays", "privacy_masks", "clip_scope", "pre_seconds", "post_seconds", "motion_enabled",
                  "motion_min_area", "motion_sensitivity", "motion_masks", "motion_hours_start", "motion_hours_end",
                  "motion_cooldown_seconds", "motion_zone", "lost_alarm", "lost_after_seconds", "snapshot_interval"]

    def clean(self):
        data = super().clean()
        kind, url = data.get("source_kind"), data.get("url") or ""
        expected = {"rtsp": ("rtsp://", "rtsps://"), "mjpeg": ("http://", "https://"),
                    "snapshot": ("http://", "https://")}.get(kind)
        if expected and not url.startswith(expected):
            self.add_error("url", _("L'adresse doit commencer par %(p)s.") % {"p": " ou ".join(expected)})
        if data.get("motion_zone") and data.get("site") and data["motion_zone"].site_id != data["site"].pk:
            self.add_error("motion_zone", _("Cette zone n'appartient pas au site de la caméra."))
        zones = data.get("zones")
        if zones is not None and data.get("site") and any(z.site_id != data["site"].pk for z in zones):
            self.add_error("zones", _("Toutes les zones liées doivent appartenir au site de la caméra."))
        return data

    def save(self, commit=True):
        camera = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            camera.set_password("")
        elif self.cleaned_data.get("password"):
            camera.set_password(self.cleaned_data["password"])
        if commit:
            camera.save()
            self.save_m2m()
        return camera


@admin.register(Camera)
class CameraAdmin(LoggedAdminMixin, admin.ModelAdmin):
    form = CameraForm
    list_display = ["name", "site", "source_kind", "enabled", "motion_enabled", "state"]
    list_filter = ["source_kind", "enabled", "motion_enabled"]
    search_fields = ["name", "site__name", "site__code"]
    autocomplete_fields = ["site"]
    filter_horizontal = ["zones"]

    @admin.display(description=_("état"))
    def state(self, camera):
        health = CameraHealth.objects.filter(pk=camera.pk).first()
        return health.get_state_display() if health else "—"


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ["camera", "trigger_at", "state", "alarm", "legal_hold", "size"]
    list_filter = ["state", "legal_hold", "reason"]
    readonly_fields = [f.name for f in Clip._meta.fields if f.name not in ("legal_hold", "legal_hold_reason")]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        from video.services.clips import clip_legal_hold_set

        clip_legal_hold_set(user=request.user, clip_id=obj.pk, hold=obj.legal_hold,
                            reason=obj.legal_hold_reason or "admin")


@admin.register(VideoPatrol)
class VideoPatrolAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "times", "weekdays", "window_minutes", "active"]
    filter_horizontal = ["cameras"]
