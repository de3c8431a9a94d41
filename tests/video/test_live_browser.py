"""An operator opens live view in Chromium: WebRTC from the real video
service, negotiated over the console websocket of a real daphne, on loopback."""

from __future__ import annotations

import pytest

from logbook.models import LogEntry
from tests.builders import make_zone
from tests.video.conftest import logged_in_page, service_health, wait_for
from video.models import Camera, CameraHealth, ViewLog

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_operator_watches_a_demo_camera_over_webrtc(browser, web_server, video_service, demo_file, operator,
                                                    site_a):
    camera = Camera.objects.create(site=site_a, name="Entrée", source_kind="file", url=str(demo_file))
    camera.zones.add(make_zone(site_a, "1"))
    process, base = video_service()
    wait_for(lambda: service_health(base)["cameras"].get(str(camera.pk), {}).get("online"), 15,
             what="the camera to be read")

    page = logged_in_page(browser, web_server, operator)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{web_server}/video/?site={site_a.pk}")
    try:
        page.wait_for_function(
            """() => { const v = document.querySelector('.video-tile video');
                       return v && v.currentTime > 1.5 && v.getVideoPlaybackQuality().totalVideoFrames > 10; }""",
            timeout=20000)
    except Exception:
        state = page.evaluate("() => document.querySelector('.video-state').textContent")
        stats = page.evaluate("""async () => { const t = Array.from(window.arcVideo.tiles.values())[0];
            if (!t.pc) return null; const out = [];
            (await t.pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp') out.push(r); }); return out; }""")
        raise AssertionError(f"no frames; tile says {state!r}; stats {stats}; console: {console}\n{process.output()[-3000:]}")
    codec = page.evaluate("() => Array.from(window.arcVideo.tiles.values())[0].codec")
    quality = page.evaluate("() => document.querySelector('.video-tile video').getVideoPlaybackQuality().totalVideoFrames")
    assert codec == "H264"  # passthrough: the camera's own H.264, not re-encoded
    assert quality > 10

    health = service_health(base)["cameras"][str(camera.pk)]
    assert health["passthrough"] is True and health["viewers"] == 1
    view = ViewLog.objects.get(camera=camera, user=operator)
    assert view.kind == ViewLog.Kind.LIVE
    assert LogEntry.objects.filter(action="video.viewed", actor_id=operator.pk, new_values__camera=camera.pk).exists()

    page.close()  # the peer goes away: the service closes the session and ends the view
    wait_for(lambda: ViewLog.objects.filter(pk=view.pk, ended_at__isnull=False).exists(), 40,
             what="the view to be closed")
    wait_for(lambda: CameraHealth.objects.filter(pk=camera.pk, state="online").exists(), 10, what="health row")


def test_handling_view_shows_the_alarm_s_camera_live_and_records_evidence(browser, web_server, video_service,
                                                                          demo_file, operator, site_a):
    from alarms.models import Alarm
    from alarms.models.handling import Evidence
    from alarms.services.lifecycle import alarm_take

    zone = make_zone(site_a, "3")
    camera = Camera.objects.create(site=site_a, name="Réserve", source_kind="file", url=str(demo_file))
    camera.zones.add(zone)
    alarm = Alarm.objects.create(site=site_a, customer=site_a.customer, zone=zone, category="alarm", priority=2,
                                 title="Intrusion réserve")
    alarm_take(alarm_id=alarm.pk, operator=operator)
    process, base = video_service()
    wait_for(lambda: service_health(base)["cameras"].get(str(camera.pk), {}).get("online"), 15,
             what="the camera to be read")

    page = logged_in_page(browser, web_server, operator)
    page.goto(f"{web_server}/console/alarm/{alarm.pk}/")
    page.wait_for_function(
        """() => { const v = document.querySelector('#panel-video .video-tile video');
                   return v && v.getVideoPlaybackQuality().totalVideoFrames > 5; }""", timeout=25000)
    evidence = wait_for(lambda: Evidence.objects.filter(alarm=alarm, kind="video_seen").first(), 5,
                        what="the levée de doute evidence")
    assert "Réserve" in evidence.text and evidence.operator == operator
    assert ViewLog.objects.get(alarm=alarm).camera == camera
