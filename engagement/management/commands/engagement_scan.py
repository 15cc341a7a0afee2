from django.core.management.base import BaseCommand

from engagement.services import nudges


class Command(BaseCommand):
    help = "Run the nudge rules now (safe to repeat); --dry-run lists who would get what."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List and estimate the AI cost; send nothing."
        )

    def handle(self, *args, dry_run: bool, **options):
        if not dry_run:
            claimed = nudges.scan_rules()
            self.stdout.write(self.style.SUCCESS(f"{claimed} nudges claimed for drafting."))
            return
        plan = nudges.dry_run()
        for rule, email, occurrence in plan.rows:
            self.stdout.write(f"{rule}\t{email}\t{occurrence}")
        self.stdout.write(
            self.style.SUCCESS(
                f"DRY RUN: {len(plan.rows)} nudges, {plan.prompts} distinct AI prompts, "
                f"estimated AI cost USD {plan.estimated_cost_usd:.4f} (the rest hit the cache)."
            )
        )
