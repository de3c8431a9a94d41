"""``manage.py purge_video``: delete clips past the retention period (legal holds kept).
The video service also runs it every hour."""

from django.core.management.base import BaseCommand

from video.services.clips import clips_purge


class Command(BaseCommand):
    help = "Purge video clips older than ARC_VIDEO_RETENTION_DAYS (except those under legal hold)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override the retention period")

    def handle(self, *args, days, **options):
        total = 0
        while True:
            count = clips_purge(retention_days=days)
            total += count
            if not count:
                break
        self.stdout.write(f"{total} clip(s) purged")
