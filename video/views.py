"""Video screens: the wall (grid of a site's cameras, cycling wall mode), the
handling-view panel, clip and snapshot files, the MJPEG token, legal hold and
video patrols. Thin: parse, authorise, call one service, render."""

from __future__ import annotations

import datetime as dt
import mimetypes
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alarms.models import Alarm
from sites.models import Site
from sites.roles import is_staff_member, is_supervisor
from video.models import Clip, PatrolRound, Snapshot, ViewLog
from video.selectors import (
    camera_for_user,
    cameras_for_alarm,
    cameras_of_alarm_site,
    cameras_visible_to,
    clips_visible_to,
)
from video.services.clips import clip_legal_hold_set, media_path
from video.services.patrols import patrol_round_complete, rounds_due
from video.services.viewing import mjpeg_token_mint, view_start


def _staff(request) -> None:
    if not is_staff_member(request.user):
        raise PermissionDenied


def _health(cameras) -> dict:
    from video.models import CameraHealth

    return {h.camera_id: h for h in CameraHealth.objects.filter(camera__in=cameras)}


@login_required
def wall(request):
    """The grid of a site's cameras, or the wall cycling through chosen cameras."""
    _staff(request)
    cameras = cameras_visible_to(request.user).order_by("site__name", "name")
    sites = Site.objects.filter(pk__in=cameras.values("site_id")).order_by("name")
    site_id = request.GET.get("site")
    chosen = [int(x) for x in request.GET.getlist("camera") if x.isdigit()]
    mode = "wall" if request.GET.get("mode") == "wall" and chosen else "grid"
    try:
        every = max(5, min(300, int(request.GET.get("every", "15"))))
    except ValueError:
        every = 15
    if mode == "wall":
        shown = [c for c in cameras.filter(pk__in=chosen)]
        shown.sort(key=lambda c: chosen.index(c.pk))
    elif site_id and site_id.isdigit():
        shown = list(cameras.filter(site_id=int(site_id)))
    else:
        shown = list(cameras[:4]) if not sites.count() > 1 else []
    return render(request, "video/wall.html", {
        "cameras": cameras, "sites": sites, "shown": shown, "mode": mode, "every": every,
        "site_id": int(site_id) if site_id and site_id.isdigit() else None, "chosen": chosen,
        "health": _health(shown), "due_rounds": list(rounds_due()[:5]),
    })


@login_required
def alarm_panel(request, alarm_id: int):
    """The handling view's video panel: linked cameras live, the alarm's clips
    and snapshots, and what was watched (levée de doute evidence)."""
    _staff(request)
    alarm = get_object_or_404(Alarm.objects.select_related("site"), pk=alarm_id)
    linked = set(cameras_for_alarm(alarm).values_list("pk", flat=True))
    cameras = sorted(cameras_of_alarm_site(alarm), key=lambda c: (c.pk not in linked, c.name))
    clips = list(Clip.objects.filter(alarm=alarm).select_related("camera").prefetch_related("snapshots"))
    views = list(ViewLog.objects.filter(alarm=alarm).select_related("camera", "clip").order_by("started_at"))
    # Keep polling while a clip is being recorded, or may still start (a recent alarm with cameras).
    recent = timezone.now() - alarm.created_at < dt.timedelta(minutes=2)
    waiting = any(c.state == Clip.State.RECORDING for c in clips) or (recent and linked and not clips)
    context = {"alarm": alarm, "cameras": cameras, "linked": linked, "clips": clips, "views": views,
               "health": _health(cameras), "can_hold": is_supervisor(request.user), "waiting": waiting}
    if request.GET.get("part") == "media":
        return render(request, "video/_alarm_media.html", context)
    return render(request, "video/alarm_panel.html", context)


_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@login_required
def clip_file(request, clip_id: int):
    """The MP4 of a clip, with byte ranges (browsers seek with them). The
    first request of a viewing is logged (who watched which clip, when)."""
    clip = get_object_or_404(clips_visible_to(request.user), pk=clip_id, state=Clip.State.READY)
    path = media_path(clip.file)
    if not path.exists():
        raise Http404
    size = path.stat().st_size
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if match is None or int(match.group(1)) == 0:
        view_start(user=request.user, camera=clip.camera, kind=ViewLog.Kind.CLIP, clip=clip)
    if match is None:
        response = FileResponse(open(path, "rb"), content_type="video/mp4")
        response["Accept-Ranges"] = "bytes"
        return response
    start = int(match.group(1))
    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    if start >= size or end < start:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start + 1)
    response = HttpResponse(data, status=206, content_type="video/mp4")
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


@login_required
def snapshot_file(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot.objects.filter(camera__in=cameras_visible_to(request.user)),
                                 pk=snapshot_id)
    path = media_path(snapshot.file)
    if not path.exists():
        raise Http404
    return FileResponse(open(path, "rb"), content_type=mimetypes.guess_type(path.name)[0] or "image/jpeg")


@login_required
@require_POST
def mjpeg_token(request, camera_id: int):
    """A short-lived token for the MJPEG fallback, served by the video service."""
    from django.conf import settings

    camera = camera_for_user(request.user, camera_id)
    if camera is None:
        raise Http404
    alarm = request.POST.get("alarm")
    token = mjpeg_token_mint(user=request.user, camera=camera,
                             alarm_id=int(alarm) if alarm and alarm.isdigit() else None)
    return JsonResponse({"url": f"{settings.VIDEO_PUBLIC_URL}/mjpeg/{camera.pk}?token={token}"})


@login_required
@require_POST
def legal_hold(request, clip_id: int):
    if not is_supervisor(request.user):
        raise PermissionDenied
    clip = get_object_or_404(Clip, pk=clip_id)
    hold = request.POST.get("hold") == "1"
    try:
        clip_legal_hold_set(user=request.user, clip_id=clip.pk, hold=hold, reason=request.POST.get("reason", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Indiquez le motif de la conservation légale."))
    if clip.alarm_id:
        return redirect(reverse("video:alarm_panel", args=[clip.alarm_id]))
    return redirect("video:wall")


@login_required
def patrol_round(request, round_id: int):
    """One video patrol round: the cameras live, then the result."""
    _staff(request)
    item = get_object_or_404(PatrolRound.objects.select_related("patrol"), pk=round_id)
    error = ""
    if request.method == "POST":
        try:
            patrol_round_complete(round_id=item.pk, operator=request.user, result=request.POST.get("result", ""),
                                  notes=request.POST.get("notes", ""))
            return redirect("video:wall")
        except ValueError as exc:
            error = {"describe what was seen": _("Décrivez ce que vous avez constaté."),
                     "round already recorded": _("Cette ronde est déjà enregistrée."),
                     }.get(str(exc), _("Résultat invalide."))
    cameras = list(item.patrol.cameras.select_related("site").order_by("site__name", "name"))
    return render(request, "video/patrol_round.html", {
        "round": item, "cameras": cameras, "health": _health(cameras), "results": PatrolRound.Result.choices,
        "error": error,
    })


@login_required
def camera_status(request):
    """Health of the cameras on screen, polled by the wall every few seconds."""
    _staff(request)
    ids = [int(x) for x in request.GET.getlist("camera") if x.isdigit()][:64]
    cameras = cameras_visible_to(request.user).filter(pk__in=ids)
    health = _health(cameras)
    out = {}
    for camera in cameras:
        h = health.get(camera.pk)
        stale = h is None or h.stale()
        out[camera.pk] = {"state": "unknown" if stale else h.state, "fps": 0 if stale else h.fps,
                          "label": _("Inconnu") if stale else h.get_state_display()}
    return JsonResponse({"cameras": out})


@login_required
def site_cameras(request, site_id: int):
    """A grid of one site's cameras: for staff, and for a client whose contract
    includes video (its own sites only). Installers see signals, not cameras.
    Each image is the MJPEG fallback, through a short-lived token per camera
    (minted by ``mjpeg_token``, so every view is logged)."""
    from sites.roles import CLIENT, roles_of
    from sites.selectors import sites_visible_to

    if not (is_staff_member(request.user) or CLIENT in roles_of(request.user)):
        raise Http404
    site = sites_visible_to(request.user).select_related("customer").filter(pk=site_id).first()
    if site is None:
        raise Http404
    cameras = list(cameras_visible_to(request.user).filter(site=site, enabled=True).order_by("name"))
    if not cameras and not is_staff_member(request.user):
        raise Http404  # no contract, or no camera: nothing to show and nothing to reveal
    return render(request, "video/site_cameras.html", {"site": site, "cameras": cameras})
