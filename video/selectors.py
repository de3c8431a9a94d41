"""Reads of the video app, with the permission filter applied."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sites.roles import is_staff_member
from sites.selectors import sites_visible_to
from video.models import Camera, Clip, VideoPatrol


def cameras_visible_to(user) -> QuerySet[Camera]:
    """Staff see every camera; a client or installer only the cameras of its
    own sites, and only when the customer's contract includes video."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Camera.objects.none()
    cameras = Camera.objects.select_related("site", "site__customer")
    if is_staff_member(user):
        return cameras
    return cameras.filter(site__in=sites_visible_to(user), site__customer__contract_video=True)


def camera_for_user(user, camera_id) -> Camera | None:
    try:
        return cameras_visible_to(user).get(pk=int(camera_id))
    except (Camera.DoesNotExist, TypeError, ValueError):
        return None


def clips_visible_to(user) -> QuerySet[Clip]:
    return Clip.objects.filter(camera__in=cameras_visible_to(user)).select_related("camera", "camera__site")


def cameras_for_alarm(alarm) -> QuerySet[Camera]:
    """Cameras that record when ``alarm`` hits: linked to its zone, or any
    camera of the site set to record for every zone."""
    if alarm.site_id is None:
        return Camera.objects.none()
    scope = Q(clip_scope=Camera.ClipScope.SITE)
    if alarm.zone_id:
        scope |= Q(clip_scope=Camera.ClipScope.ZONES, zones=alarm.zone_id)
    return Camera.objects.filter(site_id=alarm.site_id, enabled=True).filter(scope).distinct()


def cameras_of_alarm_site(alarm) -> QuerySet[Camera]:
    """What the handling view shows live: the linked cameras first, then the site's others."""
    if alarm.site_id is None:
        return Camera.objects.none()
    return Camera.objects.filter(site_id=alarm.site_id).select_related("site").order_by("name")


def patrols_for_operator() -> QuerySet[VideoPatrol]:
    return VideoPatrol.objects.filter(active=True).prefetch_related("cameras")
