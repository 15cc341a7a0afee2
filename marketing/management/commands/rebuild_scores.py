from django.core.management.base import BaseCommand

from marketing.services.scoring import rebuild_scores


class Command(BaseCommand):
    help = "Recount every contact's score from its activities (after changing points)."

    def handle(self, *args, **options):
        updated = rebuild_scores()
        self.stdout.write(self.style.SUCCESS(f"{updated} contacts rescored."))
