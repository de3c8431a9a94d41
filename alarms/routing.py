"""WebSocket routes of the alarms app (gathered by arc/asgi.py)."""

from django.urls import path

from alarms.consumers import ConsoleConsumer

websocket_urlpatterns = [
    path("ws/console/", ConsoleConsumer.as_asgi()),
]
