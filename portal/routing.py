"""Websocket routes of the portal (gathered by arc/asgi.py)."""

from django.urls import path

from portal.consumers import PortalConsumer

websocket_urlpatterns = [path("ws/portal/", PortalConsumer.as_asgi())]
