"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Each app that speaks WebSocket exposes ``websocket_urlpatterns`` in its
``routing.py``; they are gathered here.
"""

import importlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if settings.SERVE_STATIC:
    # Django serves /static/ from the apps' folders (ARC_SERVE_STATIC, on by
    # default: an operator's console is a few files). Behind a reverse proxy
    # that serves STATIC_ROOT (collectstatic), turn it off.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from portal.middleware import StaffOtpWebsocketMiddleware  # noqa: E402


def _websocket_patterns():
    patterns = []
    for app in ("alarms", "video", "portal", "dispatch", "logbook"):
        try:
            module = importlib.import_module(f"{app}.routing")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.routing":
                raise
            continue
        patterns.extend(module.websocket_urlpatterns)
    return patterns


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin checked against ALLOWED_HOSTS; the session decides the user;
        # staff without TOTP are refused when 2FA is required (portal/middleware.py).
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(
            StaffOtpWebsocketMiddleware(URLRouter(_websocket_patterns())))),
    }
)
