from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketing.services.csv_import import UnreadableFile, import_leads


class Command(BaseCommand):
    help = "Add or update marketing contacts from a CSV file, with a per-row report."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate; change nothing.")
        parser.add_argument("--source-name", default="", help="utm_source for rows with none.")
        parser.add_argument("--tag", action="append", default=[], help="Tag every row (repeat).")
        parser.add_argument(
            "--consent-text",
            default="",
            help="The consent wording these people accepted (for rows with consent=yes).",
        )
        parser.add_argument(
            "--no-double-opt-in",
            action="store_true",
            help="Consent already confirmed elsewhere: do not email a confirmation link.",
        )

    def handle(self, *args, file, dry_run, source_name, tag, consent_text, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            report = import_leads(
                content=content,
                source_name=source_name,
                tags=tag,
                consent_text=consent_text,
                double_opt_in=not options["no_double_opt_in"],
                dry_run=dry_run,
            )
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stdout.write(f"row {problem.row}\t{problem.field}\t{problem.error}")
        prefix = "DRY RUN: " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{report.rows} rows: {report.created} created, "
                f"{report.updated} updated, {report.invalid} with errors."
            )
        )
