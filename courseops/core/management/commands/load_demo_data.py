from django.core.management.base import BaseCommand

from courseops.core import demo


class Command(BaseCommand):
    help = "Load demo data and a demo staff user (idempotent; refuses in production)."

    def handle(self, *args, **options):
        demo.load_demo_data()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded. Staff login: "
                f"user '{demo.DEMO_STAFF_USERNAME}', password '{demo.DEMO_STAFF_PASSWORD}'"
            )
        )
