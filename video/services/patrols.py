"""Video patrols (rondes vidéo): rounds planned from each patrol's times,
offered to operators while due, recorded in the logbook when done, flagged
missed when their deadline passes (a conditional UPDATE on the indexed
deadline column, so two services never flag one twice)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from logbook.models import Category
from logbook.services import entry_append
from video.models import PatrolRound, VideoPatrol

PLAN_AHEAD = dt.timedelta(hours=1)


def patrol_rounds_plan(*, now=None) -> int:
    """Create the rounds due within the next hour (idempotent)."""
    now = now or timezone.now()
    created = 0
    for patrol in VideoPatrol.objects.filter(active=True):
        tz = zoneinfo.ZoneInfo(patrol.time_zone)
        local_now = now.astimezone(tz)
        for day in (local_now.date() - dt.timedelta(days=1), local_now.date(), local_now.date() + dt.timedelta(days=1)):
            if patrol.weekdays and str(day.weekday()) not in patrol.weekdays:
                continue
            for value in patrol.times:
                try:
                    when = dt.datetime.combine(day, dt.time.fromisoformat(str(value)), tz)
                except ValueError:
                    continue
                deadline = when + dt.timedelta(minutes=patrol.window_minutes)
                if not (now - dt.timedelta(minutes=patrol.window_minutes) < when <= now + PLAN_AHEAD):
                    continue
                try:
                    with transaction.atomic():
                        PatrolRound.objects.create(patrol=patrol, due_at=when, deadline_at=deadline)
                    created += 1
                except IntegrityError:
                    pass
    return created


def patrol_rounds_flag_missed(*, now=None) -> int:
    now = now or timezone.now()
    flagged = 0
    for round_id in PatrolRound.objects.filter(state=PatrolRound.State.DUE, deadline_at__lt=now) \
            .values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            claimed = PatrolRound.objects.filter(pk=round_id, state=PatrolRound.State.DUE,
                                                 deadline_at__lt=now).update(state=PatrolRound.State.MISSED)
            if not claimed:
                continue
            item = PatrolRound.objects.select_related("patrol").get(pk=round_id)
            entry_append(action="video.patrol_missed", category=Category.VIDEO, actor_name="video",
                         message=f"Ronde vidéo manquée : {item.patrol.name} prévue à "
                                 f"{timezone.localtime(item.due_at):%H:%M}",
                         new={"round": item.pk, "patrol": item.patrol_id, "due_at": item.due_at.isoformat()})
            flagged += 1
    return flagged


def patrol_round_complete(*, round_id: int, operator, result: str, notes: str = "") -> PatrolRound:
    if result not in PatrolRound.Result.values:
        raise ValueError("unknown result")
    notes = (notes or "").strip()
    if result != PatrolRound.Result.OK and not notes:
        raise ValueError("describe what was seen")
    with transaction.atomic():
        item = PatrolRound.objects.select_for_update().select_related("patrol").get(pk=round_id)
        if item.state == PatrolRound.State.DONE:
            raise ValueError("round already recorded")
        late = item.state == PatrolRound.State.MISSED
        item.state = PatrolRound.State.DONE
        item.operator = operator
        item.result = result
        item.notes = notes
        item.completed_at = timezone.now()
        item.save(update_fields=["state", "operator", "result", "notes", "completed_at"])
        cameras = list(item.patrol.cameras.values_list("name", flat=True))
        entry_append(action="video.patrol_done", category=Category.VIDEO, actor=operator,
                     message=f"Ronde vidéo {item.patrol.name} ({timezone.localtime(item.due_at):%H:%M})"
                             f"{' en retard' if late else ''} : {PatrolRound.Result(result).label}"
                             + (f" — {notes}" if notes else ""),
                     new={"round": item.pk, "result": result, "cameras": cameras, "late": late})
    return item


def rounds_due(*, now=None):
    now = now or timezone.now()
    return (PatrolRound.objects.filter(state=PatrolRound.State.DUE, due_at__lte=now + dt.timedelta(minutes=5))
            .select_related("patrol").order_by("due_at"))
