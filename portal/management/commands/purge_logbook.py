from django.core.management.base import BaseCommand, CommandError

from portal.retention import RetentionError, archive_logbook


class Command(BaseCommand):
    help = ("Archive the logbook entries older than ARC_RETENTION_LOGBOOK_DAYS (or --days) to a file with "
            "its head hash, record a checkpoint, and remove them from the database.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: the setting)")
        parser.add_argument("--archive-dir", default=None, help="where archive files go (default: the setting)")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 365:
            raise CommandError("refusing a logbook retention below 365 days")
        try:
            checkpoint = archive_logbook(older_than_days=options["days"], archive_dir=options["archive_dir"])
        except RetentionError as exc:
            raise CommandError(str(exc))
        if checkpoint is None:
            self.stdout.write("nothing to archive")
        else:
            self.stdout.write(f"archived up to entry {checkpoint.last_id} ({checkpoint.count} in all) "
                              f"to {checkpoint.archive_path}, head {checkpoint.last_hash}")
