"""An alarm on a linked zone yields an MP4 (remuxed, not re-encoded) whose
duration covers the pre-alarm window and whose first frame precedes the
alarm, plus JPEG snapshots at most one second apart. The camera is a live
source whose frames carry the wall clock in their pixels, so "precedes" is
read from the video itself, not from our own bookkeeping."""

from __future__ import annotations

import datetime as dt
import time

import av
import pytest
from django.db import transaction

from alarms.feed import feed_record
from alarms.models import Alarm
from logbook.models import LogEntry
from tests.builders import make_zone
from tests.video.conftest import logged_in_page, service_health, wait_for
from video.models import Camera, Clip
from video.services.clips import media_path
from video.synthetic import read_clock

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

PRE = 6
POST = 3


def _open_alarm(site, zone) -> Alarm:
    # What intake does when a panel's zone trips: an alarm row and its feed event.
    with transaction.atomic():
        now = dt.datetime.now(dt.UTC)
        alarm = Alarm.objects.create(site=site, customer=site.customer, zone=zone, category="alarm", priority=2,
                                     code="BA", title="Intrusion zone 1", first_signal_at=now, last_signal_at=now)
        feed_record(alarm=alarm, kind="created")
    return alarm


def test_alarm_on_linked_zone_yields_clip_covering_pre_alarm(video_service, live_source, site_a, media_root,
                                                             web_server, browser, operator):
    zone = make_zone(site_a, "1")
    other = make_zone(site_a, "2")
    linked = Camera.objects.create(site=site_a, name="Entrée", source_kind="file", url=live_source(60),
                                   pre_seconds=PRE, post_seconds=POST)
    linked.zones.add(zone)
    unlinked = Camera.objects.create(site=site_a, name="Cour", source_kind="file", url=live_source(60),
                                     pre_seconds=PRE, post_seconds=POST)
    unlinked.zones.add(other)
    process, base = video_service()
    wait_for(lambda: all(service_health(base)["cameras"].get(str(c.pk), {}).get("online") for c in (linked, unlinked)),
             20, what="both live cameras to be read")
    time.sleep(PRE + 1.5)  # let the pre-alarm buffer fill

    alarm = _open_alarm(site_a, zone)
    alarm_time = alarm.first_signal_at.timestamp()
    try:
        clip = wait_for(lambda: Clip.objects.filter(alarm=alarm, state__in=["ready", "failed"]).first(),
                        POST + 20, what="the clip")
    except AssertionError:
        raise AssertionError(f"no clip; {list(Clip.objects.values())}\n{process.output()[-3000:]}")
    assert clip.state == "ready", clip.error
    assert clip.camera_id == linked.pk
    assert not Clip.objects.filter(camera=unlinked).exists()  # not linked to zone 1

    with av.open(str(media_path(clip.file))) as container:
        stream = container.streams.video[0]
        duration = float(container.duration / 1_000_000)
        frames = [f for f in container.decode(stream)]
    first_clock = read_clock(frames[0].to_ndarray(format="bgr24")) / 1000
    last_clock = read_clock(frames[-1].to_ndarray(format="bgr24")) / 1000
    assert stream.codec_context.name == "h264"
    assert duration >= PRE + POST - 0.5, duration
    # The first frame was made before the alarm, at least the pre-alarm window
    # before it (the clip starts at the keyframe at or before that point).
    assert first_clock < alarm_time
    assert alarm_time - first_clock >= PRE - 0.2, (alarm_time, first_clock)
    assert alarm_time - first_clock < PRE + 1.5  # a keyframe every second: no more than one GOP early
    assert last_clock >= alarm_time + POST - 0.3

    shots = list(clip.snapshots.order_by("taken_at"))
    assert 3 <= len(shots) <= 5
    gaps = [(b.taken_at - a.taken_at).total_seconds() for a, b in zip(shots, shots[1:], strict=False)]
    assert all(0 < gap <= 1.0 for gap in gaps), gaps
    assert all(media_path(s.file).stat().st_size > 1000 for s in shots)
    assert LogEntry.objects.filter(action="video.clip_recorded", alarm_id=alarm.pk).exists()

    # It plays in the browser, from the alarm's video panel.
    page = logged_in_page(browser, web_server, operator)
    page.goto(f"{web_server}/video/alarm/{alarm.pk}/panel/")
    try:
        page.wait_for_function("""() => { const v = document.querySelector('.video-clip video');
                                          return v && v.readyState >= 1 && v.duration > 0; }""", timeout=15000)
    except Exception:
        state = page.evaluate("""() => { const v = document.querySelector('.video-clip video');
            return v ? [v.src, v.readyState, v.networkState, v.error && v.error.code, v.error && v.error.message]
                     : document.body.innerHTML.slice(0, 1500); }""")
        response = page.request.get(f"{web_server}/video/clips/{clip.pk}.mp4", headers={"Range": "bytes=0-"})
        raise AssertionError(f"{state} {response.status} {response.headers}")
    played = page.evaluate("""async () => { const v = document.querySelector('.video-clip video');
        v.muted = true; await v.play(); await new Promise(r => setTimeout(r, 1500));
        return {duration: v.duration, time: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames}; }""")
    assert played["duration"] >= PRE + POST - 0.5 and played["time"] > 0.5 and played["frames"] > 5, played

    # The feed is re-read with an overlap: never a second clip for the same alarm.
    time.sleep(2.5)
    assert Clip.objects.filter(alarm=alarm).count() == 1
