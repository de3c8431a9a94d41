"""``manage.py run_video``: the video service (see video/service/main.py)."""

import asyncio

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the video service: camera readers, live view (WebRTC, MJPEG), clips, motion, patrols."

    def add_arguments(self, parser):
        parser.add_argument("--shard", default="0/1",
                            help="i/n: read the cameras whose id %% n == i (several video services)")

    def handle(self, *args, shard, **options):
        try:
            index, count = (int(x) for x in shard.split("/"))
            if not 0 <= index < count:
                raise ValueError
        except ValueError:
            raise CommandError("--shard expects i/n with 0 <= i < n, e.g. 0/2")
        from video.service.main import VideoService

        asyncio.run(VideoService(shard=(index, count)).run())
