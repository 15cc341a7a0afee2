from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from marketing.services.csv_import import UnreadableFile, import_leads, summary_text


class Command(BaseCommand):
    help = _(
        "Añade o actualiza contactos desde un CSV o Excel (etiquetas, segmentos, bajas y "
        "rebotes incluidos), con un informe por fila."
    )

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
            raise CommandError(
                _("No se puede leer %(file)s: %(error)s") % {"file": file, "error": exc}
            ) from exc
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
            self.stdout.write(
                _("Fila %(row)s · %(field)s: %(error)s")
                % {"row": problem.row, "field": problem.field, "error": problem.error}
            )
        self.stdout.write(summary_text(report))
