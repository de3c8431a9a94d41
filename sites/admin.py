"""The subscriber database in the Django admin, for a French-speaking administrator.

Every change is written to the logbook (LoggedAdminMixin), and silent
misconfiguration is caught by the forms (sites/forms.py) and listed by
``problems_of`` on each site's page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from logbook.admin_logging import LoggedAdminMixin
from sites import models
from sites.forms import ContactForm, SiteForm, TransmitterForm
from sites.imports import RESOURCES, import_csv
from sites.services import problems_of

admin.site.site_header = _("ARC — administration du centre")
admin.site.site_title = "ARC"
admin.site.index_title = _("Paramétrage")


class ZoneInline(admin.TabularInline):
    model = models.Zone
    extra = 0


class TransmitterInline(admin.StackedInline):
    model = models.Transmitter
    form = TransmitterForm
    extra = 0
    fields = ["account", "receiver_prefix", "line_prefix", "encryption", "key_format", "key",
              "ats_category", "supervision_seconds", "test_interval_seconds", "enabled"]


class ContactInline(admin.TabularInline):
    model = models.Contact
    form = ContactForm
    extra = 0
    fields = ["order", "name", "role", "phone", "email", "in_call_list", "ok_password", "duress_password"]


class OpeningHoursInline(admin.TabularInline):
    model = models.OpeningHours
    extra = 0


class ScheduleExceptionInline(admin.TabularInline):
    model = models.ScheduleException
    extra = 0


class ProcedureStepInline(admin.TabularInline):
    model = models.ProcedureStep
    extra = 0


class ContactAvailabilityInline(admin.TabularInline):
    model = models.ContactAvailability
    extra = 0


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("type"), choices=[(k, k) for k in RESOURCES])
    file = forms.FileField(label=_("fichier CSV (UTF-8, séparateur virgule)"))


@admin.register(models.Customer)
class CustomerAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "phone", "active")
    list_filter = ("kind", "active", "contract_video")
    search_fields = ("code", "name", "email", "phone")
    change_list_template = "admin/sites/customer/change_list.html"

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="sites_import")] + super().get_urls()

    def import_view(self, request):
        if not request.user.has_perm("sites.add_site"):
            messages.error(request, _("Vous n'avez pas le droit d'importer."))
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            raw = form.cleaned_data["file"].read()
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                content = raw.decode("cp1252", errors="replace")
            report = import_csv(kind=form.cleaned_data["kind"], content=content, actor=request.user)
            if report.ok:
                messages.success(request, _("Import réussi : %(c)d créé(s), %(u)d mis à jour.")
                                 % {"c": report.created, "u": report.updated})
        context = {**self.admin_site.each_context(request), "form": form, "report": report,
                   "title": _("Importer un fichier CSV")}
        return render(request, "admin/sites/import.html", context)


@admin.register(models.Site)
class SiteAdmin(LoggedAdminMixin, admin.ModelAdmin):
    form = SiteForm
    list_display = ("code", "name", "customer", "city", "monitoring_state", "armed_state")
    list_filter = ("monitoring_state", "armed_state", "region", "customer")
    search_fields = ("code", "name", "city", "postal_code", "address", "customer__name")
    list_select_related = ("customer",)
    inlines = [ZoneInline, TransmitterInline, ContactInline, OpeningHoursInline, ScheduleExceptionInline]
    readonly_fields = ("armed_changed_at",)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        site = self.get_object(request, object_id)
        if site is not None and request.method == "GET":
            for problem in problems_of(site):
                messages.warning(request, problem)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(models.Transmitter)
class TransmitterAdmin(LoggedAdminMixin, admin.ModelAdmin):
    form = TransmitterForm
    list_display = ("account", "site", "encryption", "key_format", "ats_category", "last_seen_at", "enabled")
    list_filter = ("encryption", "key_format", "ats_category", "enabled", "line_fault")
    search_fields = ("account", "site__name", "site__code")
    list_select_related = ("site", "ats_category")


@admin.register(models.Contact)
class ContactAdmin(LoggedAdminMixin, admin.ModelAdmin):
    form = ContactForm
    list_display = ("name", "site", "order", "role", "phone", "in_call_list")
    list_filter = ("role", "in_call_list")
    search_fields = ("name", "phone", "email", "site__name")
    inlines = [ContactAvailabilityInline]


@admin.register(models.Procedure)
class ProcedureAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "customer", "site", "category")
    list_filter = ("category",)
    search_fields = ("name", "customer__name", "site__name")
    inlines = [ProcedureStepInline]


@admin.register(models.InterventionProvider)
class InterventionProviderAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "phone", "area", "response_minutes", "active")
    search_fields = ("name", "area")


@admin.register(models.ATSCategory)
class ATSCategoryAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "dual_path", "primary_seconds", "secondary_seconds", "note")


@admin.register(models.PublicHoliday)
class PublicHolidayAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("date", "label")


@admin.register(models.PriorityOverride)
class PriorityOverrideAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "site", "zone", "category", "code", "priority")


@admin.register(models.ClientAccess)
class ClientAccessAdmin(LoggedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "customer", "role")
    filter_horizontal = ("sites",)
