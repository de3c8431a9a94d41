"""Configuration changes made in the admin go to the logbook, with old and new values.

A ModelAdmin mixin rather than Django signals: the write is explicit, in the
same transaction as the change (the admin wraps saves in one).
"""

from __future__ import annotations

from django.forms.models import model_to_dict

from logbook.models import Category
from logbook.services import entry_append

SECRET_FIELD_HINTS = ("password", "key", "secret", "token", "credential")


def _safe(data: dict) -> dict:
    out = {}
    for name, value in data.items():
        if any(hint in name for hint in SECRET_FIELD_HINTS):
            out[name] = "•••" if value else ""
        elif isinstance(value, list | tuple):
            out[name] = [getattr(v, "pk", v) for v in value]
        else:
            out[name] = getattr(value, "pk", value)
    return out


class LoggedAdminMixin:
    """Log every add, change and delete made through this admin."""

    def _refs(self, obj) -> dict:
        refs = {}
        site = getattr(obj, "logbook_site", None)
        customer = getattr(obj, "logbook_customer", None)
        if site is not None:
            refs["site"] = site
        if customer is not None:
            refs["customer"] = customer
        return refs

    def save_model(self, request, obj, form, change):
        old = _safe(model_to_dict(type(obj).objects.get(pk=obj.pk))) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        new = _safe(model_to_dict(obj))
        if change:
            changed = {k for k in new if old is None or old.get(k) != new.get(k)}
            if not changed:
                return
            old = {k: old[k] for k in changed} if old else None
            new = {k: new[k] for k in changed}
        entry_append(
            action="config.change" if change else "config.add", category=Category.CONFIG,
            actor=request.user, old=old, new=new,
            message=f"{obj._meta.verbose_name} « {obj} » {'modifié' if change else 'créé'}",
            **self._refs(obj),
        )

    def delete_model(self, request, obj):
        old = _safe(model_to_dict(obj))
        refs = self._refs(obj)
        label = f"{obj._meta.verbose_name} « {obj} » supprimé"
        super().delete_model(request, obj)
        entry_append(action="config.delete", category=Category.CONFIG, actor=request.user,
                     old=old, message=label, **refs)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            refs = self._refs(obj)
            old = _safe(model_to_dict(obj))
            label = f"{obj._meta.verbose_name} « {obj} » supprimé"
            obj.delete()
            entry_append(action="config.delete", category=Category.CONFIG, actor=request.user,
                         old=old, message=label, **refs)
        for obj in instances:
            is_new = obj.pk is None
            old = None if is_new else _safe(model_to_dict(type(obj).objects.get(pk=obj.pk)))
            obj.save()
            new = _safe(model_to_dict(obj))
            if old is not None:
                changed = {k for k in new if old.get(k) != new.get(k)}
                if not changed:
                    continue
                old, new = {k: old[k] for k in changed}, {k: new[k] for k in changed}
            entry_append(action="config.add" if is_new else "config.change", category=Category.CONFIG,
                         actor=request.user, old=old, new=new,
                         message=f"{obj._meta.verbose_name} « {obj} » {'créé' if is_new else 'modifié'}",
                         **self._refs(obj))
        formset.save_m2m()
