"""Interventions: an operator sends a guard company; the guard reports back
through a signed link. Each step writes the feed (the alarm shows it live)
and the logbook in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alarms.feed import feed_record
from alarms.models import Alarm
from dispatch import links, system_signals
from dispatch.models import CallOut, Intervention, InterventionPhoto
from dispatch.services.callouts import _enqueue, _new_attempts
from logbook.models import Category
from logbook.services import entry_append
from sites.models import InterventionProvider
from sites.phones import normalise_phone
from sites.roles import is_staff_member

S = Intervention.State
MAX_PHOTOS = 10
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
STATE_TIME = {S.ACCEPTED: "accepted_at", S.EN_ROUTE: "en_route_at", S.ON_SITE: "on_site_at",
              S.REPORTED: "reported_at", S.CLOSED: "closed_at"}


class InterventionError(Exception):
    """A request the intervention's state does not allow; the message is for the user."""


def _feed(intervention: Intervention, kind: str, data: dict, *, actor=None, actor_name: str = "") -> None:
    alarm = Alarm.objects.get(pk=intervention.alarm_id)
    feed_record(alarm=alarm, kind=kind, actor=actor, actor_name=actor_name,
                data={"intervention": intervention.pk, "state": intervention.state,
                      "provider": intervention.provider.name, **data})


def _log(action: str, intervention: Intervention, message: str, *, actor=None, actor_name=None, new=None):
    entry_append(action=action, category=Category.DISPATCH, actor=actor, actor_name=actor_name,
                 alarm=(intervention.alarm_id, str(intervention.alarm)), site=intervention.site,
                 customer=intervention.site.customer, intervention=intervention,
                 new={"state": intervention.state, **(new or {})}, message=message)


def intervention_request(*, alarm_id: int, provider_id: int, operator, instructions: str = "",
                         eta_minutes: int | None = None) -> Intervention:
    if not is_staff_member(operator):
        raise InterventionError(_("Réservé au personnel du centre."))
    now = timezone.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update(of=("self",)).select_related("site__customer").get(pk=alarm_id)
        if alarm.site is None or not alarm.is_active:
            raise InterventionError(_("L'alarme n'est plus active."))
        provider = InterventionProvider.objects.filter(pk=provider_id, active=True).first()
        if provider is None:
            raise InterventionError(_("Société d'intervention inconnue ou inactive."))
        if Intervention.objects.filter(alarm=alarm, provider=provider, state__in=Intervention.RUNNING).exists():
            raise InterventionError(_("Une intervention de cette société est déjà en cours pour cette alarme."))
        minutes = eta_minutes or provider.response_minutes
        if not 1 <= minutes <= 24 * 60:
            raise InterventionError(_("Le délai d'arrivée doit être compris entre 1 minute et 24 heures."))
        intervention = Intervention.objects.create(
            alarm=alarm, site=alarm.site, provider=provider, requested_by=operator,
            instructions=(instructions or "").strip(), eta_at=now + dt.timedelta(minutes=minutes),
            link_nonce=secrets.token_hex(8))
        link = links.guard_link(intervention.pk, intervention.link_nonce)
        message = _("ARC : intervention demandée — %(site)s, %(address)s. Alarme : %(title)s. "
                    "Arrivée attendue avant %(eta)s.") % {
            "site": alarm.site.name, "address": alarm.site.full_address(), "title": alarm.title,
            "eta": timezone.localtime(intervention.eta_at, alarm.site.tz).strftime("%H:%M")}
        callout = CallOut.objects.create(alarm=alarm, site=alarm.site, reason=CallOut.Reason.GUARD,
                                         intervention=intervention,
                                         message=message, state=CallOut.State.DONE, ended_at=now)
        targets = [("sms", normalise_phone(provider.phone))]
        if provider.email:
            targets.append(("email", provider.email))
        ids = _new_attempts(callout, None, targets, now)
        _feed(intervention, "intervention", {"eta": intervention.eta_at.isoformat()}, actor=operator)
        _log("intervention.requested", intervention,
             _("Intervention demandée à %(provider)s, arrivée attendue à %(eta)s") % {
                 "provider": provider.name,
                 "eta": timezone.localtime(intervention.eta_at, alarm.site.tz).strftime("%H:%M")},
             actor=operator, new={"provider": provider.name, "eta": intervention.eta_at.isoformat()})
        _enqueue(ids)
    intervention.guard_url = link
    return intervention


def guard_message_link(intervention: Intervention) -> str:
    return links.guard_link(intervention.pk, intervention.link_nonce)


def intervention_advance(*, intervention_id: int, state: str, guard_name: str = "", operator=None) -> Intervention:
    """The guard (or an operator on the guard's behalf) moves the mission forward."""
    if state not in (S.ACCEPTED, S.EN_ROUTE, S.ON_SITE):
        raise InterventionError(_("État inconnu."))
    now = timezone.now()
    with transaction.atomic():
        intervention = (Intervention.objects.select_for_update(of=("self",)).select_related("site__customer", "provider")
                        .get(pk=intervention_id))
        flow = Intervention.FLOW
        if intervention.state not in flow[:flow.index(state)]:
            if intervention.state == state:
                return intervention
            raise InterventionError(_("Cette étape est déjà passée (état actuel : %(s)s).") % {
                "s": intervention.get_state_display()})
        for step in flow[flow.index(intervention.state) + 1: flow.index(state) + 1]:
            if getattr(intervention, STATE_TIME[step]) is None:
                setattr(intervention, STATE_TIME[step], now)
        intervention.state = state
        if guard_name.strip():
            intervention.guard_name = guard_name.strip()[:120]
        intervention.save()
        who = operator.get_username() if operator else (intervention.guard_name or intervention.provider.name)
        _feed(intervention, "intervention", {"guard": intervention.guard_name}, actor=operator,
              actor_name="" if operator else who)
        _log(f"intervention.{state}", intervention, _("Intervention : %(state)s (%(who)s)") % {
            "state": intervention.get_state_display(), "who": who},
            actor=operator, actor_name=None if operator else who[:150], new={"guard": intervention.guard_name})
    return intervention


def _validated_photos(files) -> list[tuple[bytes, str]]:
    from PIL import Image, UnidentifiedImageError

    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise InterventionError(_("%(n)s photos au plus.") % {"n": MAX_PHOTOS})
    result = []
    for upload in files:
        if upload.size > settings.INTERVENTION_PHOTO_MAX_BYTES:
            raise InterventionError(_("« %(name)s » dépasse %(mb)s Mo.") % {
                "name": upload.name, "mb": settings.INTERVENTION_PHOTO_MAX_BYTES // (1024 * 1024)})
        data = upload.read()
        try:
            import io

            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                kind = PHOTO_FORMATS.get(image.format or "")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind = None
        if kind is None:
            raise InterventionError(_("« %(name)s » n'est pas une photo JPEG, PNG ou WebP.") % {"name": upload.name})
        result.append((data, kind))
    return result


def intervention_report(*, intervention_id: int, text: str, photos=(), guard_name: str = "") -> Intervention:
    """The guard's report: text and photos, attached to the alarm and written to the logbook."""
    text = (text or "").strip()
    if not text:
        raise InterventionError(_("Le rapport ne peut pas être vide."))
    checked = _validated_photos(photos)
    now = timezone.now()
    with transaction.atomic():
        intervention = (Intervention.objects.select_for_update(of=("self",)).select_related("site__customer", "provider")
                        .get(pk=intervention_id))
        if intervention.state not in (S.REQUESTED, S.ACCEPTED, S.EN_ROUTE, S.ON_SITE):
            raise InterventionError(_("Le rapport a déjà été remis."))
        if intervention.on_site_at is None:
            raise InterventionError(_("Indiquez d'abord votre arrivée sur place."))
        for step in (S.ACCEPTED, S.EN_ROUTE, S.ON_SITE, S.REPORTED):
            if getattr(intervention, STATE_TIME[step]) is None:
                setattr(intervention, STATE_TIME[step], now)
        intervention.state, intervention.report = S.REPORTED, text
        if guard_name.strip():
            intervention.guard_name = guard_name.strip()[:120]
        intervention.save()
        for number, (data, kind) in enumerate(checked, start=1):
            photo = InterventionPhoto(intervention=intervention, size=len(data))
            photo.image.save(f"photo-{now:%Y%m%d-%H%M%S}-{number}.{kind}", ContentFile(data), save=False)
            photo.save()
        who = intervention.guard_name or intervention.provider.name
        _feed(intervention, "intervention_report", {"report": text[:500], "photos": len(checked)}, actor_name=who)
        _log("intervention.report", intervention, _("Rapport d'intervention (%(who)s) : %(text)s") % {
            "who": who, "text": text}, actor_name=who[:150], new={"photos": len(checked)})
    return intervention


def intervention_close(*, intervention_id: int, operator) -> Intervention:
    if not is_staff_member(operator):
        raise InterventionError(_("Réservé au personnel du centre."))
    with transaction.atomic():
        intervention = (Intervention.objects.select_for_update(of=("self",)).select_related("site__customer", "provider")
                        .get(pk=intervention_id))
        if intervention.state in (S.CLOSED, S.CANCELLED):
            return intervention
        cancelled = intervention.on_site_at is None
        intervention.state = S.CANCELLED if cancelled else S.CLOSED
        intervention.closed_at = timezone.now()
        intervention.save(update_fields=["state", "closed_at"])
        _feed(intervention, "intervention", {}, actor=operator)
        _log("intervention.cancelled" if cancelled else "intervention.closed", intervention,
             _("Intervention annulée") if cancelled else _("Intervention clôturée"), actor=operator)
    return intervention


def intervention_eta_overrun(*, intervention_id: int, now: dt.datetime) -> bool:
    """The guard is not on site by the promised time. Caller (tick) holds the lock."""
    from alarms.services.escalation import alarm_escalate

    intervention = Intervention.objects.select_related("site__customer", "provider", "alarm").get(pk=intervention_id)
    if intervention.on_site_at is not None or intervention.eta_overrun_at is not None or \
            intervention.state not in (S.REQUESTED, S.ACCEPTED, S.EN_ROUTE):
        return False
    Intervention.objects.filter(pk=intervention_id).update(eta_overrun_at=now)
    late = int((now - intervention.eta_at).total_seconds() // 60)
    label = _("Agent %(provider)s non arrivé à l'heure promise") % {"provider": intervention.provider.name}
    _log("intervention.eta_overrun", intervention, label, new={"eta": intervention.eta_at.isoformat(),
                                                               "late_minutes": late})
    if intervention.alarm.is_active:
        alarm_escalate(alarm_id=intervention.alarm_id, level=intervention.alarm.escalation_level + 1,
                       label=label, reason="eta_overrun", audience="supervisors", colour="red",
                       data={"intervention": intervention.pk})
    else:
        system_signals.submit(site=intervention.site, protocol="ARC", category="alarm", priority=2, text=label)
    return True
