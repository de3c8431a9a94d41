"""Run one web node: daphne serving HTTP and WebSockets (the `web` process)."""

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web console, portal, API and WebSockets with daphne."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.HTTP_BIND)
        parser.add_argument("--port", type=int, default=settings.HTTP_PORT)

    def handle(self, *args, bind, port, **options):
        from daphne.cli import CommandLineInterface

        # --ping-interval keeps proxies from closing idle operator sockets; the
        # server itself never times out an idle WebSocket (websocket_timeout -1).
        CommandLineInterface().run([
            "-b", bind, "-p", str(port), "--ping-interval", "20", "--ping-timeout", "60",
            "--websocket_timeout", "-1", "--proxy-headers", "arc.asgi:application",
        ])
