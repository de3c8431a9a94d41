from django.core.management.base import BaseCommand

from portal.retention import purge_signals


class Command(BaseCommand):
    help = "Delete signal journal rows older than ARC_RETENTION_SIGNALS_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: the setting)")

    def handle(self, *args, **options):
        days = options["days"]
        if days is not None and days < 30:
            self.stderr.write("refusing a retention below 30 days")
            raise SystemExit(2)
        deleted = purge_signals(older_than_days=days)
        self.stdout.write(f"{deleted} signals deleted")
