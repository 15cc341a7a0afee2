from django.core.management.base import BaseCommand

from courseops.core.schedules import install_periodic_tasks


class Command(BaseCommand):
    help = "Install the periodic tasks declared in code into django-celery-beat (idempotent)."

    def handle(self, *args, **options):
        created, updated = install_periodic_tasks()
        for name in created:
            self.stdout.write(f"created {name}")
        for name in updated:
            self.stdout.write(f"updated task path of {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(created)} created, {len(updated)} updated"))
