from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError

from engagement.services.csv_import import import_activity


class Command(BaseCommand):
    help = "Import student activity from an LMS's CSV export (idempotent on the event id)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate; store nothing.")
        parser.add_argument(
            "--time-zone", default="UTC", help="Zone of timestamps without an offset."
        )

    def handle(self, *args, file, dry_run, time_zone, **options):
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"Unknown time zone {time_zone!r}.") from exc
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        report = import_activity(content=content, time_zone=time_zone, dry_run=dry_run)
        for line, errors in report.problems:
            for field_name, messages in errors.items():
                self.stdout.write(f"line {line}\t{field_name}\t{' '.join(map(str, messages))}")
        prefix = "DRY RUN: " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{report.rows} rows: {report.created} recorded, "
                f"{report.duplicates} already recorded, {len(report.problems)} with errors."
            )
        )
