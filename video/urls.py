"""URLs of the video app, mounted under /video/."""

from django.urls import path

from video import views

app_name = "video"

urlpatterns = [
    path("", views.wall, name="wall"),
    path("status/", views.camera_status, name="status"),
    path("alarm/<int:alarm_id>/panel/", views.alarm_panel, name="alarm_panel"),
    path("clips/<int:clip_id>.mp4", views.clip_file, name="clip"),
    path("clips/<int:clip_id>/hold/", views.legal_hold, name="legal_hold"),
    path("snapshots/<int:snapshot_id>.jpg", views.snapshot_file, name="snapshot"),
    path("cameras/<int:camera_id>/mjpeg-token/", views.mjpeg_token, name="mjpeg_token"),
    path("patrols/<int:round_id>/", views.patrol_round, name="patrol_round"),
    path("sites/<int:site_id>/", views.site_cameras, name="site"),
]
