"""The alarm lifecycle: take, release, reassign, acknowledge, comment, hold,
hold return, qualify, close.

Each function is one use case in one transaction: the state change, a feed
row (``feed_record``: the doorbell rings after commit) and the logbook entry,
written last because it locks the chain head. Taking is a conditional UPDATE,
so two operators racing for one alarm cannot both win. Every change bumps
``Alarm.version``; consoles keep the highest version they saw of each alarm.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from alarms.feed import feed_record
from alarms.models import Alarm, AlarmComment, AlarmStep, Qualification
from alarms.presence import is_abandoned
from logbook.models import Category as LogCategory
from logbook.services import Entry, entries_append, entry_append
from sites.roles import is_staff_member, is_supervisor
from sites.selectors import procedure_for

S = Alarm.State
MAX_HOLD_MINUTES = 240
# When an alarm is closed while the site is not back to normal, the timers
# check it again after this delay (Alarm.normal_check_due_at; DISPATCH's tick).
NORMAL_CHECK_DELAY = dt.timedelta(minutes=30)

# Closure codes: what ended the alarm. False alarms must say their cause.
CLOSURE_CODES = [
    ("police", _l("Intervention police / gendarmerie")),
    ("fire_brigade", _l("Intervention des pompiers")),
    ("medical", _l("Intervention SAMU / secours")),
    ("guard", _l("Intervention d'un agent")),
    ("keyholder", _l("Détenteur de clés sur place")),
    ("phone_verified", _l("Levée de doute téléphonique (mot de passe)")),
    ("video_verified", _l("Levée de doute vidéo : rien à signaler")),
    ("maintenance", _l("Maintenance demandée à l'installateur")),
    ("cause_user", _l("Cause : erreur de manipulation")),
    ("cause_environment", _l("Cause : environnement (animal, courant d'air, météo)")),
    ("cause_equipment", _l("Cause : défaut de matériel")),
    ("cause_power", _l("Cause : coupure secteur / transmission")),
    ("cause_unknown", _l("Cause non déterminée")),
    ("no_action", _l("Sans suite")),
]
CLOSURE_CODE_VALUES = {code for code, _label in CLOSURE_CODES}


class AlarmError(Exception):
    """A request the alarm's state does not allow; the message is for the operator."""


class AlarmTaken(AlarmError):
    def __init__(self, message: str, *, holder_id: int | None, holder_name: str, abandoned: bool,
                 can_force: bool = False, on_hold: bool = False):
        super().__init__(message)
        self.holder_id = holder_id
        self.holder_name = holder_name
        self.abandoned = abandoned
        # Whether alarm_take(force=True) would be accepted (after the UI's warning).
        self.can_force = can_force
        self.on_hold = on_hold


class ClosureBlocked(AlarmError):
    def __init__(self, message: str, *, steps: list[str]):
        super().__init__(message)
        self.steps = steps


def user_label(user) -> str:
    if user is None:
        return "ARC"
    return user.get_full_name() or user.get_username()


def _require_staff(user) -> None:
    if not is_staff_member(user):
        raise AlarmError(_("Action réservée au personnel du centre."))


def _locked(alarm_id: int) -> Alarm:
    try:
        return Alarm.objects.select_for_update(of=("self",)).select_related(
            "site", "customer", "taken_by").get(pk=alarm_id)
    except Alarm.DoesNotExist:
        raise AlarmError(_("Alarme introuvable."))


def _require_holder(alarm: Alarm, user, *, allow_supervisor: bool = True) -> None:
    if alarm.state == S.CLOSED:
        raise AlarmError(_("L'alarme est clôturée."))
    if alarm.taken_by_id == user.pk and alarm.state in (S.TAKEN, S.HOLD):
        return
    if allow_supervisor and is_supervisor(user) and alarm.state in (S.TAKEN, S.HOLD):
        return
    if alarm.taken_by_id is None:
        raise AlarmError(_("Prenez d'abord l'alarme."))
    raise AlarmError(_("Cette alarme est traitée par %(name)s.") % {"name": user_label(alarm.taken_by)})


def _save(alarm: Alarm, fields: list[str]) -> None:
    alarm.version = F("version") + 1
    alarm.save(update_fields=[*fields, "version"])
    alarm.refresh_from_db(fields=["version"])


def _entry(action: str, alarm: Alarm, actor, message: str, *, old=None, new=None) -> Entry:
    return Entry(action=action, category=LogCategory.ALARM, actor=actor, message=message,
                 alarm=alarm, site=alarm.site, customer=alarm.customer, old=old, new=new)


def _log(*args, **kwargs) -> None:
    entries_append([_entry(*args, **kwargs)])


def steps_ensure(alarm: Alarm) -> int:
    """Copy the site's consignes onto the alarm once (at creation or first take).
    Runs in the caller's transaction; returns how many steps were copied."""
    if alarm.site_id is None or AlarmStep.objects.filter(alarm=alarm).exists():
        return 0
    procedure = procedure_for(alarm.site, alarm.category)
    if procedure is None:
        return 0
    steps = [AlarmStep(alarm=alarm, order=s.order, kind=s.kind, kind_label=str(s.get_kind_display()),
                       text=s.text, mandatory=s.mandatory, automatic=s.automatic,
                       procedure_name=procedure.name)
             for s in procedure.steps.all()]
    AlarmStep.objects.bulk_create(steps)
    return len(steps)


def alarm_take(*, alarm_id: int, operator, force: bool = False) -> Alarm:
    """One operator at a time. Taking over someone else's alarm needs ``force``,
    and is refused while that person is still at their console (a supervisor
    reassigns instead) unless the one taking over is a supervisor."""
    _require_staff(operator)
    current = Alarm.objects.filter(pk=alarm_id).select_related("taken_by").first()
    if current is None:
        raise AlarmError(_("Alarme introuvable."))
    if current.state == S.CLOSED:
        raise AlarmError(_("L'alarme est clôturée."))
    if current.state == S.TAKEN and current.taken_by_id == operator.pk:
        return current  # already mine: taking twice writes nothing
    holder_id = current.taken_by_id if current.state in (S.TAKEN, S.HOLD) and current.taken_by_id else None
    holder_name = user_label(current.taken_by) if holder_id else ""
    if holder_id and holder_id != operator.pk:
        abandoned = is_abandoned(holder_id)  # Redis read: outside the transaction
        if not force:
            raise AlarmTaken(_("Alarme déjà prise par %(name)s.") % {"name": holder_name},
                             holder_id=holder_id, holder_name=holder_name, abandoned=abandoned,
                             can_force=abandoned or current.state == S.HOLD or is_supervisor(operator),
                             on_hold=current.state == S.HOLD)
        if current.state == S.TAKEN and not abandoned and not is_supervisor(operator):
            raise AlarmTaken(_("%(name)s traite cette alarme et sa console est active : demandez au chef de "
                               "salle de la réattribuer.") % {"name": holder_name},
                             holder_id=holder_id, holder_name=holder_name, abandoned=False)
    now = timezone.now()
    with transaction.atomic():
        condition = Q(state=S.OPEN) | Q(state__in=[S.TAKEN, S.HOLD], taken_by_id=operator.pk)
        if holder_id:
            condition |= Q(state__in=[S.TAKEN, S.HOLD], taken_by_id=holder_id)
        won = Alarm.objects.filter(condition, pk=alarm_id).update(
            state=S.TAKEN, taken_by=operator, taken_at=now, first_taken_at=Coalesce("first_taken_at", now),
            hold_until=None, version=F("version") + 1)
        if not won:
            latest = Alarm.objects.select_related("taken_by").get(pk=alarm_id)
            if latest.state == S.CLOSED:
                raise AlarmError(_("L'alarme est clôturée."))
            name = user_label(latest.taken_by)
            raise AlarmTaken(_("Alarme déjà prise par %(name)s.") % {"name": name},
                             holder_id=latest.taken_by_id, holder_name=name, abandoned=False)
        alarm = Alarm.objects.select_related("site", "customer").get(pk=alarm_id)
        first = alarm.first_taken_at == now
        steps_ensure(alarm)
        data = {"by": user_label(operator), "from": holder_name} if holder_name else {"by": user_label(operator)}
        feed_record(alarm=alarm, kind="taken", actor=operator, data=data)
        message = (_("Alarme reprise de %(name)s") % {"name": holder_name}) if holder_name else _("Alarme prise")
        entry_append(action="alarm.taken", category=LogCategory.ALARM, actor=operator, message=message,
                     alarm=alarm, site=alarm.site, customer=alarm.customer,
                     old={"taken_by": holder_name} if holder_name else None,
                     new={"first": first, "priority": alarm.priority, "category": alarm.category,
                          "forced": bool(holder_name)})
    return alarm


def alarm_release(*, alarm_id: int, operator, reason: str = "") -> Alarm:
    """Put an alarm back in the queue, unassigned."""
    _require_staff(operator)
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        previous = user_label(alarm.taken_by)
        alarm.state, alarm.taken_by, alarm.hold_until = S.OPEN, None, None
        _save(alarm, ["state", "taken_by", "hold_until"])
        feed_record(alarm=alarm, kind="released", actor=operator, data={"from": previous})
        _log("alarm.released", alarm, operator, (_("Alarme remise en file. %(reason)s") % {"reason": reason}).strip(),
             old={"taken_by": previous})
    return alarm


def alarm_reassign(*, alarm_id: int, supervisor, operator) -> Alarm:
    if not is_supervisor(supervisor):
        raise AlarmError(_("Seul un chef de salle peut réattribuer une alarme."))
    if not is_staff_member(operator) or not operator.is_active:
        raise AlarmError(_("Cet utilisateur n'est pas opérateur."))
    now = timezone.now()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        if alarm.state == S.CLOSED:
            raise AlarmError(_("L'alarme est clôturée."))
        previous = user_label(alarm.taken_by) if alarm.taken_by_id else ""
        alarm.state, alarm.taken_by, alarm.taken_at, alarm.hold_until = S.TAKEN, operator, now, None
        alarm.first_taken_at = alarm.first_taken_at or now
        _save(alarm, ["state", "taken_by", "taken_at", "first_taken_at", "hold_until"])
        steps_ensure(alarm)
        feed_record(alarm=alarm, kind="reassigned", actor=supervisor,
                    data={"from": previous, "to": user_label(operator)})
        _log("alarm.reassigned", alarm, supervisor,
             _("Alarme réattribuée à %(to)s") % {"to": user_label(operator)},
             old={"taken_by": previous}, new={"taken_by": user_label(operator)})
    return alarm


def alarm_acknowledge(*, alarm_id: int, operator) -> Alarm:
    """The operator confirms they have read the alarm (stops the 'not acknowledged' escalation)."""
    _require_staff(operator)
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        if alarm.acknowledged_at is not None:
            return alarm
        alarm.acknowledged_at = timezone.now()
        _save(alarm, ["acknowledged_at"])
        feed_record(alarm=alarm, kind="acknowledged", actor=operator)
        _log("alarm.acknowledged", alarm, operator, _("Alarme acquittée"))
    return alarm


def alarm_comment(*, alarm_id: int, operator, text: str, kind: str = AlarmComment.Kind.COMMENT) -> AlarmComment:
    """Free comment; allowed on a closed alarm too (a later complement)."""
    _require_staff(operator)
    text = (text or "").strip()
    if not text:
        raise AlarmError(_("Le commentaire est vide."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        comment = AlarmComment.objects.create(alarm=alarm, kind=kind, text=text, author=operator,
                                              author_name=user_label(operator))
        _save(alarm, [])
        feed_record(alarm=alarm, kind="comment", actor=operator, data={"comment": comment.pk})
        _log("alarm.comment", alarm, operator, text, new={"kind": kind})
    return comment


def alarm_hold(*, alarm_id: int, operator, minutes: int, reason: str) -> Alarm:
    """Put on hold for N minutes (waiting for a call back…); it comes back by itself."""
    _require_staff(operator)
    reason = (reason or "").strip()
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise AlarmError(_("Durée d'attente invalide."))
    if not 1 <= minutes <= MAX_HOLD_MINUTES:
        raise AlarmError(_("La mise en attente va de 1 à %(max)d minutes.") % {"max": MAX_HOLD_MINUTES})
    if not reason:
        raise AlarmError(_("Indiquez le motif de la mise en attente."))
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        alarm.state = S.HOLD
        alarm.hold_until = timezone.now() + dt.timedelta(minutes=minutes)
        _save(alarm, ["state", "hold_until"])
        feed_record(alarm=alarm, kind="hold", actor=operator,
                    data={"until": alarm.hold_until.isoformat(), "reason": reason})
        _log("alarm.hold", alarm, operator,
             _("Mise en attente %(m)d min : %(reason)s") % {"m": minutes, "reason": reason},
             new={"minutes": minutes, "until": alarm.hold_until, "reason": reason})
    return alarm


def alarm_hold_expire(*, alarm_id: int) -> bool:
    """Called by the timers once ``hold_until`` has passed: the alarm goes back to
    the queue, unassigned. Idempotent: re-checks the state in the UPDATE."""
    with transaction.atomic():
        now = timezone.now()
        previous = Alarm.objects.filter(pk=alarm_id).values_list("taken_by_id", flat=True).first()
        won = Alarm.objects.filter(pk=alarm_id, state=S.HOLD, hold_until__lte=now).update(
            state=S.OPEN, hold_until=None, taken_by=None, version=F("version") + 1)
        if not won:
            return False
        alarm = Alarm.objects.select_related("site", "customer").get(pk=alarm_id)
        from django.contrib.auth import get_user_model

        holder = get_user_model().objects.filter(pk=previous).first() if previous else None
        feed_record(alarm=alarm, kind="hold_returned", actor_name="ARC", data={"from": user_label(holder)})
        _log("alarm.hold_returned", alarm, None, _("Fin de mise en attente : l'alarme revient en file"),
             old={"taken_by": user_label(holder) if holder else ""})
    return True


def _check_qualification(qualification: str) -> None:
    if qualification not in Qualification.values:
        raise AlarmError(_("Qualification inconnue."))


def alarm_qualify(*, alarm_id: int, operator, qualification: str) -> Alarm:
    _require_staff(operator)
    _check_qualification(qualification)
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        old = alarm.qualification
        if old == qualification:
            return alarm
        alarm.qualification = qualification
        _save(alarm, ["qualification"])
        feed_record(alarm=alarm, kind="qualified", actor=operator, data={"qualification": qualification})
        _log("alarm.qualified", alarm, operator,
             _("Qualifiée : %(q)s") % {"q": Qualification(qualification).label},
             old={"qualification": old}, new={"qualification": qualification})
    return alarm


def alarm_close(*, alarm_id: int, operator, qualification: str, closure_code: str, note: str = "") -> Alarm:
    """Qualify and close. Mandatory consignes steps must be done or skipped with a reason;
    a false alarm must say its cause."""
    from alarms.selectors import back_to_normal

    _require_staff(operator)
    _check_qualification(qualification)
    if closure_code not in CLOSURE_CODE_VALUES:
        raise AlarmError(_("Choisissez un code de clôture."))
    if qualification == Qualification.FALSE_ALARM and not closure_code.startswith("cause_"):
        raise AlarmError(_("Une fausse alarme doit être clôturée avec sa cause."))
    note = (note or "").strip()
    with transaction.atomic():
        alarm = _locked(alarm_id)
        _require_holder(alarm, operator)
        pending = list(alarm.steps.filter(mandatory=True, state=AlarmStep.State.PENDING).order_by("order"))
        if pending:
            raise ClosureBlocked(_("Étapes obligatoires non faites : %(steps)s") % {
                "steps": ", ".join(f"{s.order}. {s.kind_label}" for s in pending)},
                steps=[s.kind_label for s in pending])
        now = timezone.now()
        normal = back_to_normal(alarm)
        old_qualification = alarm.qualification
        alarm.state, alarm.closed_at, alarm.closed_by = S.CLOSED, now, operator
        alarm.qualification, alarm.closure_code, alarm.closure_note = qualification, closure_code, note
        alarm.hold_until = None
        alarm.normal_check_due_at = None if normal["normal"] else now + NORMAL_CHECK_DELAY
        _save(alarm, ["state", "closed_at", "closed_by", "qualification", "closure_code", "closure_note",
                      "hold_until", "normal_check_due_at"])
        feed_record(alarm=alarm, kind="closed", actor=operator,
                    data={"qualification": qualification, "closure_code": closure_code})
        entries = []
        if old_qualification != qualification:
            entries.append(_entry("alarm.qualified", alarm, operator,
                                  _("Qualifiée : %(q)s") % {"q": Qualification(qualification).label},
                                  old={"qualification": old_qualification},
                                  new={"qualification": qualification}))
        label = dict(CLOSURE_CODES)[closure_code]
        entries.append(_entry("alarm.closed", alarm, operator,
                              (_("Alarme clôturée (%(code)s). %(note)s") % {"code": label, "note": note}).strip(),
                              new={"qualification": qualification, "closure_code": closure_code,
                                   "priority": alarm.priority, "category": alarm.category,
                                   "back_to_normal": normal["normal"]}))
        entries_append(entries)
    return alarm
