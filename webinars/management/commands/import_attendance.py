"""manage.py import_attendance <webinar id> <file.csv> [--settle]: the admin's CSV import."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from webinars.models import Webinar
from webinars.services.attendance_import import attendance_import_csv


class Command(BaseCommand):
    help = "Importa la asistencia de un webinar desde un CSV (email, minutos, asistió)."

    def add_arguments(self, parser):
        parser.add_argument("webinar_id", type=int)
        parser.add_argument("csv_path", type=Path)
        parser.add_argument(
            "--settle",
            action="store_true",
            help="Cierra la asistencia: quien no figure como asistente queda ausente.",
        )

    def handle(self, *args, webinar_id, csv_path, settle, **options):
        webinar = Webinar.objects.filter(pk=webinar_id).first()
        if webinar is None:
            raise CommandError(f"No existe el webinar {webinar_id}.")
        if not csv_path.is_file():
            raise CommandError(f"No existe el archivo {csv_path}.")
        try:
            report = attendance_import_csv(
                webinar=webinar, content=csv_path.read_bytes(), settle=settle
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for row in report.rows:
            self.stdout.write(f"{row.line}\t{row.email}\t{row.outcome}\t{row.detail}")
        self.stdout.write(
            f"asistieron={report.count('attended')} ausentes={report.count('absent')} "
            f"desconocidos={report.count('unknown')} inválidos={report.count('invalid')} "
            f"avisos_de_ausencia={report.absentees_announced}"
        )
