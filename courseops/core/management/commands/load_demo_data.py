from django.core.management.base import BaseCommand

from courseops.core import demo


class Command(BaseCommand):
    help = "Load demo data and a demo staff user (idempotent; refuses in production)."

    def handle(self, *args, **options):
        failures = []
        demo.load_demo_data(on_ai_failure=failures.append)
        for line in failures:
            self.stderr.write(line)
        if failures:
            self.stderr.write(
                "Vuelve a ejecutar load_demo_data cuando la IA responda: completa lo que falta."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded. Staff login: "
                f"user '{demo.DEMO_STAFF_USERNAME}', password '{demo.DEMO_STAFF_PASSWORD}'"
            )
        )
