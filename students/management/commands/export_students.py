import csv
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from students.models import Student

HEADERS = [
    "id",
    "nombre",
    "email",
    "teléfono",
    "país",
    "idioma",
    "plan",
    "estado",
    "origen",
    "intereses",
    "consentimiento",
    "registrado",
    "activo desde",
    "utm_source",
    "utm_medium",
    "utm_campaign",
]


class Command(BaseCommand):
    help = "Export every student as CSV (UTF-8 with BOM so Excel reads the accents)."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="File to write; standard output when omitted.")

    def handle(self, *args, out=None, **options):
        stream = open(out, "w", newline="", encoding="utf-8-sig") if out else sys.stdout  # noqa: SIM115
        try:
            count = write_csv(stream)
        finally:
            if out:
                stream.close()
        if out:
            self.stderr.write(f"{count} students written to {out}.")


def _when(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def write_csv(stream):
    """Rows are streamed from the database in chunks, never all held in memory."""
    writer = csv.writer(stream)
    writer.writerow(HEADERS)
    count = 0
    rows = Student.objects.select_related("plan").order_by("pk").iterator(chunk_size=2000)
    for s in rows:
        writer.writerow(
            [
                s.pk,
                s.full_name,
                s.email,
                s.phone,
                s.country,
                s.language,
                s.plan.slug,
                s.status,
                s.source,
                "; ".join(str(i) for i in s.interests or []),
                "sí" if s.consent_given else "no",
                _when(s.created_at),
                _when(s.activated_at),
                s.utm_source,
                s.utm_medium,
                s.utm_campaign,
            ]
        )
        count += 1
    return count
