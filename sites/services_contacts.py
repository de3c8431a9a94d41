"""Contacts edited from the portal, and a person's data under the GDPR.

The logbook never receives a contact's phone number or e-mail: entries name
the contact by id and list the fields that changed, so that erasing a person
(pseudonymising the Contact row) never needs to touch the hash chain."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from logbook.models import Category
from logbook.services import entry_append
from sites.models import Contact, Site
from sites.selectors import sites_managed_by

EDITABLE = ("name", "role", "phone", "phone_alt", "email", "in_call_list", "notes")


def _check(actor, site: Site) -> None:
    if not sites_managed_by(actor).filter(pk=site.pk).exists():
        raise PermissionError("site not managed by this user")


def contact_save(*, site: Site, actor, values: dict, contact_id: int | None = None) -> Contact:
    """Create or change one contact of ``site``; validated like the admin does."""
    _check(actor, site)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        if contact_id is None:
            last = site.contacts.order_by("-order").values_list("order", flat=True).first() or 0
            contact = Contact(site=site, order=last + 1)
            old = {}
        else:
            contact = Contact.objects.select_for_update().get(pk=contact_id, site=site,
                                                              pseudonymised_at__isnull=True)
            old = {f: getattr(contact, f) for f in EDITABLE}
        for field, value in values.items():
            setattr(contact, field, value)
        contact.full_clean()
        contact.save()
        changed = sorted(f for f in EDITABLE if old.get(f) != getattr(contact, f)) if old else sorted(values)
        entry_append(action="contact.created" if not old else "contact.updated", category=Category.CONFIG,
                     actor=actor, site=site, customer=site.customer,
                     new={"contact": contact.pk, "fields": changed},
                     message=(_("Contact n°%(id)s ajouté à la liste d'appel") if not old
                              else _("Contact n°%(id)s modifié (%(fields)s)"))
                     % {"id": contact.pk, "fields": ", ".join(changed) or "-"})
    return contact


def contact_remove(*, site: Site, actor, contact_id: int) -> None:
    """Take a contact off the site (the row is pseudonymised, not deleted: past
    call-out attempts may still point to it)."""
    _check(actor, site)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id, site=site, pseudonymised_at__isnull=True)
        _pseudonymise(contact)
        entry_append(action="contact.removed", category=Category.CONFIG, actor=actor, site=site,
                     customer=site.customer, new={"contact": contact.pk},
                     message=_("Contact n°%(id)s retiré") % {"id": contact.pk})


def contacts_reorder(*, site: Site, actor, ordered_ids: list[int]) -> list[Contact]:
    """Set the call order: ``ordered_ids`` must name every active contact once."""
    _check(actor, site)
    with transaction.atomic():
        contacts = {c.pk: c for c in Contact.objects.select_for_update().filter(
            site=site, pseudonymised_at__isnull=True)}
        if sorted(ordered_ids) != sorted(contacts) or len(set(ordered_ids)) != len(ordered_ids):
            raise ValidationError(_("L'ordre doit citer chaque contact du site une fois."))
        old = [c.pk for c in sorted(contacts.values(), key=lambda c: (c.order, c.pk))]
        for position, pk in enumerate(ordered_ids, start=1):
            contacts[pk].order = position
        Contact.objects.bulk_update(contacts.values(), ["order"])
        entry_append(action="contact.reordered", category=Category.CONFIG, actor=actor, site=site,
                     customer=site.customer, old={"order": old}, new={"order": list(ordered_ids)},
                     message=_("Ordre d'appel modifié : %(order)s") % {
                         "order": " → ".join(f"n°{pk}" for pk in ordered_ids)})
    return sorted(contacts.values(), key=lambda c: c.order)


def _pseudonymise(contact: Contact) -> None:
    contact.name = f"Contact effacé n°{contact.pk}"
    contact.phone = ""
    contact.phone_alt = ""
    contact.email = ""
    contact.notes = ""
    contact.ok_password_hash = ""
    contact.duress_password_hash = ""
    contact.in_call_list = False
    contact.user = None
    contact.pseudonymised_at = timezone.now()
    contact.save()
    contact.availability.all().delete()


def person_contacts(*, email: str = "", phone: str = "", user=None):
    """Every Contact row that is this person (by e-mail, phone or portal account)."""
    condition = Q(pk__in=[])
    if email:
        condition |= Q(email__iexact=email.strip())
    if phone:
        digits = phone.strip()
        condition |= Q(phone=digits) | Q(phone_alt=digits)
    if user is not None:
        condition |= Q(user=user)
    return Contact.objects.filter(condition, pseudonymised_at__isnull=True).select_related("site__customer")


def person_export(*, email: str = "", phone: str = "", user=None) -> dict:
    """Article 15 export: what the centre holds about this person as a contact."""
    rows = []
    for c in person_contacts(email=email, phone=phone, user=user).prefetch_related("availability"):
        rows.append({
            "contact_id": c.pk, "customer": c.site.customer.name, "site": c.site.name,
            "site_address": c.site.full_address(), "call_order": c.order, "name": c.name,
            "role": c.get_role_display(), "phone": c.phone, "phone_alt": c.phone_alt, "email": c.email,
            "in_call_list": c.in_call_list, "notes": c.notes,
            "has_spoken_password": bool(c.ok_password_hash), "has_duress_password": bool(c.duress_password_hash),
            "availability": [{"weekday": a.weekday, "start": a.start.isoformat(), "end": a.end.isoformat()}
                             for a in c.availability.all()],
            "portal_account": c.user.get_username() if c.user_id else None,
        })
    return {"generated_at": timezone.now().isoformat(), "query": {"email": email, "phone": phone,
            "user": user.get_username() if user is not None else None}, "contacts": rows}


def person_erase(*, actor, email: str = "", phone: str = "", user=None, reason: str = "") -> list[int]:
    """Article 17 erasure: pseudonymise every Contact row of the person. The
    logbook is not touched (it holds contact ids, not their details)."""
    done = []
    with transaction.atomic():
        contacts = list(person_contacts(email=email, phone=phone, user=user).select_for_update(of=("self",)))
        for contact in contacts:
            _pseudonymise(contact)
            done.append(contact.pk)
        if done:
            entry_append(action="gdpr.erasure", category=Category.SECURITY, actor=actor,
                         actor_name=None if actor is not None else "gdpr_erase",
                         new={"contacts": done, "reason": reason[:200]},
                         message=_("Données personnelles effacées (pseudonymisées) : contacts %(ids)s. %(r)s") % {
                             "ids": ", ".join(f"n°{pk}" for pk in done), "r": reason[:200]})
    return done
