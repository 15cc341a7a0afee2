from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from students.intake.csv_import import UnreadableFile, import_students


class Command(BaseCommand):
    help = "Register students from a CSV file (UTF-8 or Excel Latin-1, comma or semicolon)."

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
        for problem in report.problems:
            self.stdout.write(f"row {problem.row}\t{problem.field}\t{problem.error}")
        prefix = "DRY RUN: " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{report.rows} rows: {report.created} created, "
                f"{report.duplicates} already students, {report.replayed} already imported, "
                f"{report.invalid} with errors."
            )
        )
