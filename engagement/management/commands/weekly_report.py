from django.core.management.base import BaseCommand, CommandError

from engagement.services.weekly_report import (
    BadWeek,
    build_weekly_report,
    email_weekly_report,
    previous_week,
)


class Command(BaseCommand):
    help = "Build (and email once) the weekly engagement report of an ISO week."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last week).")
        parser.add_argument("--rebuild", action="store_true", help="Build it again.")
        parser.add_argument("--no-email", action="store_true", help="Build only.")

    def handle(self, *args, week, rebuild, no_email, **options):
        try:
            report = build_weekly_report(week=week or previous_week(), rebuild=rebuild)
        except BadWeek as exc:
            raise CommandError(str(exc)) from exc
        if not no_email:
            email_weekly_report(report=report)
        self.stdout.write(self.style.SUCCESS(f"{report.week}: {report.pdf.name}"))
