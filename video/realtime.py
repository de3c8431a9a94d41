"""Browser messages of the console socket for live video (registered in
VideoConfig.ready()). The handler authorises the user for the camera, logs
the view, and hands the WebRTC offer to the video service through the
channel layer; the service answers this socket's channel directly."""

from __future__ import annotations

import re

from channels.db import database_sync_to_async
from django.conf import settings

from video.models import ViewLog
from video.selectors import camera_for_user
from video.services.viewing import view_end, view_start

SESSION = re.compile(r"^[A-Za-z0-9_-]{6,40}$")
MAX_SDP = 30000


def _session_id(consumer, content) -> str | None:
    raw = content.get("session")
    if not isinstance(raw, str) or not SESSION.match(raw):
        return None
    return f"u{consumer.user.pk}-{raw}"


@database_sync_to_async
def _authorise_and_log(user, camera_id, session, alarm_id):
    camera = camera_for_user(user, camera_id)
    if camera is None:
        return None
    view_start(user=user, camera=camera, kind=ViewLog.Kind.LIVE, session=session,
               alarm_id=alarm_id if isinstance(alarm_id, int) else None)
    return camera


async def on_offer(consumer, content: dict) -> None:
    session = _session_id(consumer, content)
    sdp = content.get("sdp")
    reply = {"type": "video.error", "session": content.get("session"), "camera": content.get("camera")}
    if session is None or not isinstance(sdp, str) or not sdp.startswith("v=") or len(sdp) > MAX_SDP:
        await consumer.send_json({**reply, "error": "bad_request"})
        return
    camera = await _authorise_and_log(consumer.user, content.get("camera"), session, content.get("alarm"))
    if camera is None:
        await consumer.send_json({**reply, "error": "forbidden"})
        return
    await consumer.channel_layer.group_send(settings.VIDEO_SERVICE_GROUP, {
        "type": "video.offer", "reply": consumer.channel_name, "user": consumer.user.pk,
        "camera": camera.pk, "session": session, "sdp": sdp,
        "client_session": content["session"],
    })


async def on_hangup(consumer, content: dict) -> None:
    session = _session_id(consumer, content)
    if session is None:
        return
    await consumer.channel_layer.group_send(settings.VIDEO_SERVICE_GROUP,
                                            {"type": "video.hangup", "session": session})
    await database_sync_to_async(view_end)(session=session)
