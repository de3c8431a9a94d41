"""Temporary instructions (consignes temporaires): a client proposes, the centre
accepts or rejects. Each use case is one transaction with its logbook entry."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logbook.models import Category
from logbook.services import entry_append
from sites.models import Site, TemporaryInstruction
from sites.roles import is_staff_member
from sites.selectors import sites_managed_by
from sites.services import SiteError

MAX_INSTRUCTION_DURATION = dt.timedelta(days=366)
Status = TemporaryInstruction.Status


def _name(user) -> str:
    return (user.get_full_name() or user.get_username())[:150]


def _fmt(moment: dt.datetime, site: Site) -> str:
    return timezone.localtime(moment, site.tz).strftime("%d/%m/%Y %H:%M")


def instruction_propose(*, site: Site, actor, text: str, starts_at: dt.datetime | None, ends_at: dt.datetime,
                        supersedes: TemporaryInstruction | None = None) -> TemporaryInstruction:
    """A client (or the centre on its behalf) proposes an instruction, or a new
    version of one. Staff proposals are accepted at once."""
    if not sites_managed_by(actor).filter(pk=site.pk).exists():
        raise PermissionError("site not managed by this user")
    text = (text or "").strip()
    now = timezone.now()
    starts_at = starts_at or now
    if not text:
        raise SiteError(_("Le texte de la consigne est vide."))
    if len(text) > 1000:
        raise SiteError(_("La consigne dépasse 1000 caractères."))
    if ends_at <= max(starts_at, now):
        raise SiteError(_("La fin doit suivre le début et être dans le futur."))
    if ends_at - starts_at > MAX_INSTRUCTION_DURATION:
        raise SiteError(_("Une consigne temporaire ne peut dépasser un an."))
    staff = is_staff_member(actor)
    with transaction.atomic():
        version = 1
        if supersedes is not None:
            supersedes = TemporaryInstruction.objects.select_for_update().get(pk=supersedes.pk)
            if supersedes.site_id != site.pk:
                raise PermissionError("instruction of another site")
            if supersedes.status not in (Status.PROPOSED, Status.ACCEPTED):
                raise SiteError(_("Cette consigne n'est plus modifiable."))
            version = supersedes.version + 1
        instruction = TemporaryInstruction.objects.create(
            site=site, text=text, starts_at=starts_at, ends_at=ends_at, version=version, supersedes=supersedes,
            proposed_by=actor, proposed_by_name=_name(actor), proposed_at=now)
        if staff:
            _accept(instruction, actor, now, note="")
        entry_append(action="instruction.proposed" if not staff else "instruction.accepted",
                     category=Category.CONFIG, actor=actor, site=site, customer=site.customer,
                     new={"instruction": instruction.pk, "version": version, "text": text,
                          "starts_at": starts_at, "ends_at": ends_at,
                          "supersedes": supersedes.pk if supersedes else None},
                     message=(_("Consigne temporaire v%(v)s proposée (du %(a)s au %(b)s) : %(t)s") if not staff
                              else _("Consigne temporaire v%(v)s saisie par le centre (du %(a)s au %(b)s) : %(t)s"))
                     % {"v": version, "a": _fmt(starts_at, site), "b": _fmt(ends_at, site), "t": text})
    return instruction


def _accept(instruction: TemporaryInstruction, actor, now, note: str) -> None:
    instruction.status = Status.ACCEPTED
    instruction.decided_by = actor
    instruction.decided_by_name = _name(actor)
    instruction.decided_at = now
    instruction.decision_note = note[:300]
    instruction.save(update_fields=["status", "decided_by", "decided_by_name", "decided_at", "decision_note"])
    previous = instruction.supersedes
    while previous is not None and previous.status in (Status.PROPOSED, Status.ACCEPTED):
        previous.status = Status.SUPERSEDED
        previous.closed_at = now
        previous.save(update_fields=["status", "closed_at"])
        previous = previous.supersedes


def instruction_decide(*, instruction_id: int, actor, accept: bool, note: str = "") -> TemporaryInstruction:
    """The centre accepts or rejects a proposal (staff only)."""
    if not is_staff_member(actor):
        raise PermissionError("only the centre decides on instructions")
    now = timezone.now()
    with transaction.atomic():
        instruction = TemporaryInstruction.objects.select_for_update().select_related("site__customer").get(
            pk=instruction_id)
        if instruction.status != Status.PROPOSED:
            raise SiteError(_("Cette proposition a déjà été traitée."))
        if accept:
            _accept(instruction, actor, now, note)
        else:
            instruction.status = Status.REJECTED
            instruction.decided_by = actor
            instruction.decided_by_name = _name(actor)
            instruction.decided_at = now
            instruction.decision_note = note[:300]
            instruction.save(update_fields=["status", "decided_by", "decided_by_name", "decided_at",
                                            "decision_note"])
        site = instruction.site
        entry_append(action="instruction.accepted" if accept else "instruction.rejected",
                     category=Category.CONFIG, actor=actor, site=site, customer=site.customer,
                     new={"instruction": instruction.pk, "version": instruction.version, "note": note},
                     message=(_("Consigne temporaire v%(v)s acceptée : %(t)s") if accept
                              else _("Consigne temporaire v%(v)s refusée : %(t)s"))
                     % {"v": instruction.version, "t": instruction.text}
                     + (f" ({note})" if note else ""))
    return instruction


def instruction_withdraw(*, instruction_id: int, actor) -> TemporaryInstruction:
    """The client withdraws a proposal, or anybody allowed ends one in force."""
    now = timezone.now()
    with transaction.atomic():
        instruction = TemporaryInstruction.objects.select_for_update().select_related("site__customer").get(
            pk=instruction_id)
        if not sites_managed_by(actor).filter(pk=instruction.site_id).exists():
            raise PermissionError("site not managed by this user")
        if instruction.status == Status.PROPOSED:
            instruction.status = Status.WITHDRAWN
        elif instruction.status == Status.ACCEPTED:
            instruction.status = Status.ENDED
        else:
            raise SiteError(_("Cette consigne n'est plus active."))
        instruction.closed_at = now
        instruction.save(update_fields=["status", "closed_at"])
        site = instruction.site
        entry_append(action="instruction.withdrawn", category=Category.CONFIG, actor=actor, site=site,
                     customer=site.customer, new={"instruction": instruction.pk, "status": instruction.status},
                     message=_("Consigne temporaire v%(v)s retirée : %(t)s") % {
                         "v": instruction.version, "t": instruction.text})
    return instruction
