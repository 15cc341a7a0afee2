from django.core.management.base import BaseCommand, CommandError

from courseops.core import health, heartbeat


class Command(BaseCommand):
    help = "Exit 1 unless the worker or beat heartbeat is recent (a container health probe)."
    # A probe runs every minute or two: skip the system checks, which cost seconds.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("process", choices=[heartbeat.WORKER, heartbeat.BEAT])

    def handle(self, *args, process, **options):
        try:
            health.CHECKS[process]()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{process} ok")
