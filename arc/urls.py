"""URL routing: each app mounts its own urls.py; arc only wires them."""

import importlib

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from arc import views, views_health

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("health/", views_health.health, name="health"),
    path("health/live/", views_health.live, name="health-live"),
]

# Apps mount themselves when they have a urls.py (prefixes chosen here).
_APP_PREFIXES = {
    "alarms": "",
    "logbook": "logbook/",
    "dispatch": "dispatch/",
    "video": "video/",
    "portal": "portal/",
    "sites": "sites/",
    "portal.api": "api/v1/",  # the integration REST API (portal/api/)
}
for _app, _prefix in _APP_PREFIXES.items():
    try:
        importlib.import_module(f"{_app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.urls":
            raise
        continue
    urlpatterns.append(path(_prefix, include(f"{_app}.urls")))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
