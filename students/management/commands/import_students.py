from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from students.intake.csv_import import (
    UnreadableFile,
    import_students,
    summary_text,
    unknown_columns_text,
)


class Command(BaseCommand):
    help = "Register students from a CSV or Excel (.xlsx) file; --dry-run only reports."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate every row; change nothing."
        )
        parser.add_argument(
            "--source-name",
            default="",
            help="Recorded as utm_source for rows that have none (e.g. 'feria-2026').",
        )

    def handle(self, *args, file, dry_run, source_name, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            report = import_students(content=content, source_name=source_name, dry_run=dry_run)
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        # In the staff's words, as the admin shows it: they read and forward this report.
        if report.unknown_columns:
            self.stdout.write(unknown_columns_text(report))
        for problem in report.problems:
            self.stdout.write(f"{problem.row}\t{problem.field}\t{problem.error}")
        self.stdout.write(self.style.SUCCESS(summary_text(report)))
