"""CSV import of customers, sites, zones and contacts (django-import-export).

All or nothing: every row is validated first; if any row is bad, each bad
row is reported with its line number and reason and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tablib
from django.db import transaction
from import_export import fields, resources, widgets

from sites.models import Contact, Customer, Site, Zone
from sites.phones import normalise_phone


class CustomerResource(resources.ModelResource):
    class Meta:
        model = Customer
        import_id_fields = ("code",)
        fields = ("code", "name", "kind", "phone", "email", "address", "notes")
        skip_unchanged = True
        clean_model_instances = True


class SiteResource(resources.ModelResource):
    customer = fields.Field(attribute="customer", column_name="customer",
                            widget=widgets.ForeignKeyWidget(Customer, field="code"))

    class Meta:
        model = Site
        import_id_fields = ("code",)
        fields = ("code", "customer", "name", "address", "postal_code", "city", "region", "latitude",
                  "longitude", "timezone", "phone", "access_notes", "monitoring_state")
        skip_unchanged = True
        clean_model_instances = True


class SiteCodeWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Site, field="code")


class ZoneResource(resources.ModelResource):
    site = fields.Field(attribute="site", column_name="site", widget=SiteCodeWidget())

    class Meta:
        model = Zone
        import_id_fields = ("site", "number")
        fields = ("site", "number", "label", "zone_type", "area")
        skip_unchanged = True
        clean_model_instances = True


class ContactResource(resources.ModelResource):
    site = fields.Field(attribute="site", column_name="site", widget=SiteCodeWidget())

    class Meta:
        model = Contact
        import_id_fields = ("site", "name")
        fields = ("site", "order", "name", "role", "phone", "phone_alt", "email", "in_call_list", "notes")
        skip_unchanged = True
        clean_model_instances = True

    def before_save_instance(self, instance, row, **kwargs):
        instance.phone = normalise_phone(instance.phone)
        if instance.phone_alt:
            instance.phone_alt = normalise_phone(instance.phone_alt)


RESOURCES = {
    "customers": CustomerResource,
    "sites": SiteResource,
    "zones": ZoneResource,
    "contacts": ContactResource,
}


@dataclass
class ImportReport:
    ok: bool
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _row_errors(result) -> list[str]:
    errors = []
    for line, row_errors in result.row_errors():
        for error in row_errors:
            errors.append(f"ligne {line + 1}: {error.error}")
    for invalid in result.invalid_rows:
        reasons = "; ".join(f"{name}: {', '.join(str(m) for m in messages)}"
                            for name, messages in invalid.error_dict.items())
        errors.append(f"ligne {invalid.number + 1}: {reasons}")
    for error in result.base_errors:
        errors.append(str(error.error))
    return errors


def import_csv(*, kind: str, content: str, actor=None) -> ImportReport:
    """Import one CSV file (header row, comma-separated, UTF-8)."""
    from logbook.models import Category
    from logbook.services import entry_append

    if kind not in RESOURCES:
        return ImportReport(False, errors=[f"type inconnu : {kind} (attendu : {', '.join(RESOURCES)})"])
    try:
        dataset = tablib.Dataset().load(content.lstrip("\ufeff"), format="csv")
    except Exception as exc:
        return ImportReport(False, errors=[f"fichier illisible : {exc}"])
    resource = RESOURCES[kind]()
    with transaction.atomic():
        dry = resource.import_data(dataset, dry_run=True, raise_errors=False, use_transactions=True,
                                   collect_failed_rows=True)
        if dry.has_errors() or dry.has_validation_errors():
            return ImportReport(False, errors=_row_errors(dry))
        result = resource.import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
        totals = result.totals
        report = ImportReport(True, created=totals.get("new", 0), updated=totals.get("update", 0))
        entry_append(action="config.import", category=Category.CONFIG, actor=actor,
                     message=f"Import CSV {kind} : {report.created} créé(s), {report.updated} mis à jour",
                     new={"kind": kind, "created": report.created, "updated": report.updated})
    return report
