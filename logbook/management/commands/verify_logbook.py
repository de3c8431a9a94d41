from django.core.management.base import BaseCommand, CommandError

from logbook.verify import verify_chain


class Command(BaseCommand):
    help = "Walk the logbook's hash chain and name the first broken entry."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(str(result))
