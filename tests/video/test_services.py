"""Video services and selectors: who sees which camera, MJPEG tokens, view
logging, retention with legal hold, patrols, video loss and motion signals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import time_machine
from django.utils import timezone

from alarms.models import Signal
from logbook.models import LogEntry
from sites.models import Site
from tests.builders import make_zone
from video.models import Camera, CameraHealth, Clip, PatrolRound, Snapshot, VideoPatrol, ViewLog
from video.selectors import camera_for_user, cameras_for_alarm, cameras_visible_to
from video.service.motion import MotionDetector
from video.services.cameras import camera_loss_signal, health_publish, motion_signal
from video.services.clips import clip_legal_hold_set, clips_purge
from video.services.patrols import patrol_round_complete, patrol_rounds_flag_missed, patrol_rounds_plan
from video.services.viewing import mjpeg_token_check, mjpeg_token_mint
from video.synthetic import read_clock, render, stamp_clock


def _camera(site, name="Cam", **fields) -> Camera:
    return Camera.objects.create(site=site, name=name, source_kind="rtsp", url="rtsp://127.0.0.1:1/x", **fields)


def test_clients_see_their_own_cameras_only_with_a_video_contract(site_a, site_b, client_a, client_b, operator):
    cam_a, cam_b = _camera(site_a), _camera(site_b)
    assert set(cameras_visible_to(operator)) == {cam_a, cam_b}
    assert list(cameras_visible_to(client_a)) == []  # no contract yet
    site_a.customer.contract_video = True
    site_a.customer.save()
    assert list(cameras_visible_to(client_a)) == [cam_a]
    assert camera_for_user(client_a, cam_b.pk) is None
    assert list(cameras_visible_to(client_b)) == []


def test_cameras_for_alarm_follow_zone_links_and_site_scope(site_a):
    z1, z2 = make_zone(site_a, "1"), make_zone(site_a, "2")
    linked, site_wide, other, never = (_camera(site_a, n) for n in ("linked", "site", "other", "never"))
    linked.zones.add(z1)
    other.zones.add(z2)
    site_wide.clip_scope = Camera.ClipScope.SITE
    site_wide.save()
    never.clip_scope = Camera.ClipScope.NONE
    never.save()
    never.zones.add(z1)

    class A:  # the two fields the selector reads
        site_id = site_a.pk
        zone_id = z1.pk

    assert set(cameras_for_alarm(A())) == {linked, site_wide}


def test_mjpeg_token_is_for_one_camera_and_short_lived(site_a, operator, settings):
    camera, other = _camera(site_a), _camera(site_a, "other")
    settings.VIDEO_TOKEN_SECONDS = 60
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        token = mjpeg_token_mint(user=operator, camera=camera)
        assert mjpeg_token_check(token, camera.pk)["u"] == operator.pk
        assert mjpeg_token_check(token, other.pk) is None
        assert mjpeg_token_check(token + "x", camera.pk) is None
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, 1, 30, tzinfo=dt.UTC), tick=False):
        assert mjpeg_token_check(token, camera.pk) is None
    view = ViewLog.objects.get(camera=camera)
    assert view.kind == ViewLog.Kind.MJPEG and view.user == operator
    assert LogEntry.objects.filter(action="video.viewed", actor_id=operator.pk).count() == 1


def test_mjpeg_token_view_refuses_other_customers_camera(client, site_b, client_a):
    camera = _camera(site_b)
    client.force_login(client_a)
    response = client.post(f"/video/cameras/{camera.pk}/mjpeg-token/")
    assert response.status_code == 404
    assert not ViewLog.objects.exists()


def test_clip_file_is_served_to_staff_with_ranges_and_logged(client, site_a, operator, client_b, media_root):
    camera = _camera(site_a)
    (media_root / "video").mkdir()
    (media_root / "video" / "c.mp4").write_bytes(b"0123456789" * 100)
    clip = Clip.objects.create(camera=camera, trigger_at=timezone.now(), state="ready", file="video/c.mp4")
    client.force_login(client_b)
    assert client.get(f"/video/clips/{clip.pk}.mp4").status_code == 404
    client.force_login(operator)
    response = client.get(f"/video/clips/{clip.pk}.mp4", HTTP_RANGE="bytes=10-19")
    assert response.status_code == 206 and response.content == b"0123456789"
    assert response["Content-Range"] == "bytes 10-19/1000"
    assert not ViewLog.objects.exists()  # a seek is not a new viewing
    response = client.get(f"/video/clips/{clip.pk}.mp4")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"0123456789" * 100
    assert ViewLog.objects.get().clip == clip
    assert LogEntry.objects.filter(action="video.viewed", new_values__clip=clip.pk).exists()


def test_retention_purges_old_clips_but_keeps_legal_holds(site_a, supervisor, media_root):
    camera = _camera(site_a)
    old = timezone.now() - dt.timedelta(days=31)
    files = []
    clips = []
    for name in ("old", "held", "recent"):
        path = media_root / f"{name}.mp4"
        path.write_bytes(b"x")
        files.append(path)
        clips.append(Clip.objects.create(camera=camera, trigger_at=old if name != "recent" else timezone.now(),
                                         state="ready", file=path.name))
    Snapshot.objects.create(camera=camera, clip=clips[0], taken_at=old, file="old.mp4")
    clip_legal_hold_set(user=supervisor, clip_id=clips[1].pk, hold=True, reason="Réquisition judiciaire")
    with pytest.raises(ValueError):
        clip_legal_hold_set(user=supervisor, clip_id=clips[2].pk, hold=True, reason="")
    with django_capture_on_commit():
        assert clips_purge(retention_days=30) == 1
    assert set(Clip.objects.values_list("pk", flat=True)) == {clips[1].pk, clips[2].pk}
    assert not files[0].exists() and files[1].exists() and files[2].exists()
    assert LogEntry.objects.filter(action="video.retention_purge").count() == 1
    assert LogEntry.objects.filter(action="video.legal_hold", actor_id=supervisor.pk).count() == 1


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_patrol_rounds_are_planned_flagged_missed_and_recorded(site_a, operator):
    camera = _camera(site_a)
    patrol = VideoPatrol.objects.create(name="Nuit", times=["22:00"], window_minutes=15, time_zone="UTC")
    patrol.cameras.add(camera)
    with time_machine.travel(dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC), tick=False):
        assert patrol_rounds_plan() == 1
        assert patrol_rounds_plan() == 0  # idempotent
    first = PatrolRound.objects.get()
    assert first.due_at == dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 2, 22, 10, tzinfo=dt.UTC), tick=False):
        assert patrol_rounds_flag_missed() == 0
    with time_machine.travel(dt.datetime(2026, 3, 2, 22, 16, tzinfo=dt.UTC), tick=False):
        assert patrol_rounds_flag_missed() == 1
        assert patrol_rounds_flag_missed() == 0
    first.refresh_from_db()
    assert first.state == PatrolRound.State.MISSED
    assert LogEntry.objects.filter(action="video.patrol_missed").count() == 1
    with pytest.raises(ValueError):
        patrol_round_complete(round_id=first.pk, operator=operator, result="anomaly", notes="")
    patrol_round_complete(round_id=first.pk, operator=operator, result="ok")
    entry = LogEntry.objects.get(action="video.patrol_done")
    assert entry.actor_id == operator.pk and entry.new_values["late"] is True


def test_video_loss_during_armed_hours_raises_a_technical_signal_once(site_a):
    camera = _camera(site_a, lost_after_seconds=30)
    site_a.armed_state = Site.Armed.ARMED
    site_a.save()
    t0 = timezone.now()
    report = {"camera": camera.pk, "state": "online", "fps": 10}
    assert health_publish(reports=[report], service="t", now=t0) == []
    offline = {"camera": camera.pk, "state": "offline", "error": "timeout"}
    assert health_publish(reports=[offline], service="t", now=t0 + dt.timedelta(seconds=2)) == []
    assert LogEntry.objects.filter(action="video.camera_lost").count() == 1
    assert health_publish(reports=[offline], service="t", now=t0 + dt.timedelta(seconds=40)) == [camera.pk]
    assert camera_loss_signal(camera_id=camera.pk) is True
    assert camera_loss_signal(camera_id=camera.pk) is False  # once
    signal = Signal.objects.get(site=site_a)
    event = signal.events.get()
    assert (signal.transport, event.category, event.qualifier) == ("video", "trouble", "new")
    assert health_publish(reports=[offline], service="t", now=t0 + dt.timedelta(seconds=60)) == []
    health_publish(reports=[report], service="t", now=t0 + dt.timedelta(seconds=70))
    assert camera_loss_signal(camera_id=camera.pk, restore=True) is True
    assert Signal.objects.filter(site=site_a).count() == 2
    assert CameraHealth.objects.get(pk=camera.pk).lost_signalled is False


def test_no_video_loss_alarm_when_site_disarmed(site_a):
    camera = _camera(site_a, lost_after_seconds=5)
    site_a.armed_state = Site.Armed.DISARMED
    site_a.save()
    t0 = timezone.now()
    health_publish(reports=[{"camera": camera.pk, "state": "online"}], service="t", now=t0)
    health_publish(reports=[{"camera": camera.pk, "state": "offline"}], service="t", now=t0)
    assert health_publish(reports=[{"camera": camera.pk, "state": "offline"}], service="t",
                          now=t0 + dt.timedelta(minutes=5)) == []


def test_motion_becomes_a_video_signal_with_its_snapshot(site_a, media_root):
    zone = make_zone(site_a, "17")
    camera = _camera(site_a, motion_enabled=True, motion_zone=zone)
    motion_signal(camera_id=camera.pk, at=timezone.now(), snapshot=b"\xff\xd8fakejpeg")
    signal = Signal.objects.get(site=site_a)
    event = signal.events.get()
    assert signal.transport == "video" and signal.peer == f"camera:{camera.pk}"
    assert (event.category, event.zone) == ("alarm", "17")
    assert signal.xdata and signal.xdata[0][0] == "snapshot"


def _frames(figure_x: list[int], masks=None):
    for i, x in enumerate(figure_x):
        image = np.full((240, 320, 3), 60, np.uint8)
        if x >= 0:
            image[100:200, x:x + 40] = 230
        yield image, 1000.0 + i * 0.25


@pytest.mark.parametrize("masked, expected", [(False, True), (True, False)])
def test_motion_detector_sees_a_walker_unless_masked(masked, expected):
    masks = [[[0, 0], [1, 0], [1, 1], [0, 1]]] if masked else []
    detector = MotionDetector(min_area=1.0, sensitivity=16, cooldown=60, exclude=masks)
    path = [-1] * 30 + list(range(10, 250, 12))
    fired = [detector.feed(image, wall) for image, wall in _frames(path)]
    assert any(fired) is expected
    assert sum(fired) <= 1  # cooldown: one walk-through, one alarm


def test_pixel_clock_round_trips():
    image = render(640, 480, 3.2, "X", 1795875801617, "stamp")
    assert read_clock(image) == 1795875801617
    stamp_clock(image, 42)
    assert read_clock(image) == 42


def test_screens_render_for_staff_and_refuse_clients(client, site_a, operator, admin_user, client_a):
    from alarms.models import Alarm

    camera = _camera(site_a, "Entrée")
    zone = make_zone(site_a, "1")
    camera.zones.add(zone)
    alarm = Alarm.objects.create(site=site_a, customer=site_a.customer, zone=zone, category="alarm", priority=2,
                                 title="Intrusion")
    Clip.objects.create(camera=camera, alarm=alarm, trigger_at=timezone.now(), state="failed", error="hors ligne")
    client.force_login(operator)
    page = client.get(f"/video/?site={site_a.pk}")
    assert page.status_code == 200 and b'data-camera="%d"' % camera.pk in page.content
    panel = client.get(f"/video/alarm/{alarm.pk}/panel/")
    assert panel.status_code == 200
    assert b'data-alarm="%d"' % alarm.pk in panel.content and b"hors ligne" in panel.content
    client.force_login(client_a)
    assert client.get(f"/video/alarm/{alarm.pk}/panel/").status_code == 403
    assert client.get(f"/video/?site={site_a.pk}").status_code == 403
    assert client.get(f"/video/status/?camera={camera.pk}").status_code == 403
    assert not ViewLog.objects.exists()
    client.force_login(admin_user)
    assert client.get("/admin/video/camera/add/").status_code == 200
    response = client.post("/admin/video/camera/add/", {
        "site": site_a.pk, "name": "Parking", "source_kind": "rtsp", "url": "http://wrong", "weekdays": "0123456",
        "clip_scope": "zones", "pre_seconds": 10, "post_seconds": 20, "motion_min_area": 1, "motion_sensitivity": 25,
        "motion_cooldown_seconds": 60, "lost_alarm": "armed", "lost_after_seconds": 30, "snapshot_interval": 1,
        "privacy_masks": "[]", "motion_masks": "[]", "password": "s3cret"})
    assert response.status_code == 200 and not Camera.objects.filter(name="Parking").exists()  # rtsp:// expected


def test_watching_an_alarm_s_camera_is_evidence_of_the_handling_operator(site_a, operator, operator2):
    from alarms.models import Alarm
    from alarms.models.handling import Evidence
    from alarms.services.lifecycle import alarm_take
    from video.services.viewing import view_start

    camera = _camera(site_a, "Entrée")
    alarm = Alarm.objects.create(site=site_a, customer=site_a.customer, category="alarm", priority=2, title="I")
    alarm_take(alarm_id=alarm.pk, operator=operator)
    view_start(user=operator2, camera=camera, kind=ViewLog.Kind.LIVE, session="s1", alarm_id=alarm.pk)
    assert not Evidence.objects.filter(alarm=alarm).exists()  # not the handling operator: view log only
    view_start(user=operator, camera=camera, kind=ViewLog.Kind.LIVE, session="s2", alarm_id=alarm.pk)
    evidence = Evidence.objects.get(alarm=alarm)
    assert evidence.kind == "video_seen" and "Entrée" in evidence.text and evidence.operator == operator
    assert ViewLog.objects.filter(alarm=alarm).count() == 2
    assert LogEntry.objects.filter(action="video.viewed", alarm_id=alarm.pk).count() == 2
