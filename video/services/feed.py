"""What the video service does with the alarm feed: clips for the cameras an
alarm hits (linked zone, any zone of the site, or the camera whose motion
raised it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from alarms.models import Alarm, AlarmEvent
from video.models import Camera, FeedCursor
from video.selectors import cameras_for_alarm
from video.services.clips import clip_start

OVERLAP = 200
MAX_AGE = dt.timedelta(minutes=2)  # older alarms: their pre-alarm packets are gone
KINDS = ("created", "signal")


def feed_read(*, cursor_name: str, handled: set[int], motion_recent: dict[int, float],
              shard: tuple[int, int] = (0, 1)) -> tuple[int, list[dict]]:
    """Read new feed rows; create the Clip rows to record. Returns (cursor, triggers)."""
    with transaction.atomic():
        cursor, created = FeedCursor.objects.select_for_update().get_or_create(
            name=cursor_name, defaults={"last_id": AlarmEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0})
        if created:
            return cursor.last_id, []
        events = list(AlarmEvent.objects.filter(id__gt=max(0, cursor.last_id - OVERLAP), kind__in=KINDS)
                      .exclude(id__in=handled).select_related("alarm").order_by("id")[:500])
        latest = AlarmEvent.objects.order_by("-id").values_list("id", flat=True).first() or cursor.last_id
        if len(events) < 500:
            cursor.last_id = max(cursor.last_id, latest)
        else:
            cursor.last_id = max(cursor.last_id, events[-1].id)
        cursor.save(update_fields=["last_id", "updated_at"])
    triggers = []
    now = dt.datetime.now(dt.UTC)
    for event in events:
        handled.add(event.id)
        alarm = event.alarm
        if alarm is None or alarm.site_id is None:
            continue
        at = _trigger_time(alarm, event)
        if now - at > MAX_AGE:
            continue
        cameras = {c.pk: c for c in cameras_for_alarm(alarm)}
        if alarm.source == "video":
            # The camera that saw the motion records even if not linked to the zone.
            for camera in Camera.objects.filter(site_id=alarm.site_id, pk__in=list(motion_recent)):
                cameras.setdefault(camera.pk, camera)
                at = dt.datetime.fromtimestamp(motion_recent[camera.pk], dt.UTC)
        for camera in cameras.values():
            if camera.pk % shard[1] != shard[0] or camera.clip_scope == Camera.ClipScope.NONE and \
                    camera.pk not in motion_recent:
                continue
            clip = clip_start(camera_id=camera.pk, alarm_id=alarm.pk, trigger_at=at)
            if clip is not None:
                triggers.append({"clip": clip.pk, "camera": camera.pk, "alarm": alarm.pk, "at": at.timestamp(),
                                 "pre": camera.pre_seconds, "post": camera.post_seconds})
    return cursor.last_id, triggers


def _trigger_time(alarm: Alarm, event: AlarmEvent) -> dt.datetime:
    if event.kind == "signal" and alarm.last_signal_at:
        return alarm.last_signal_at
    return alarm.first_signal_at or alarm.created_at
