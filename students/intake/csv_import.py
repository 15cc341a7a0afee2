"""CSV import of registrations (the command and the admin upload share it).

Whatever Excel or a spreadsheet wrote: UTF-8 with or without BOM, or Windows Latin-1
(cp1252); comma, semicolon or tab; headers in Spanish or English. Every row goes through
`register_student` on its own, so one bad row never blocks another; the external id is the
file's digest and the row number, so importing the same file twice changes nothing.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from students.intake.services import register_student
from students.intake.validation import FIELDS, active_plans, clean_registration
from students.models import Student

HEADER_ALIASES = {
    "correo": "email",
    "correo electronico": "email",
    "correo electrónico": "email",
    "e-mail": "email",
    "nombre": "full_name",
    "nombre completo": "full_name",
    "name": "full_name",
    "full name": "full_name",
    "telefono": "phone",
    "teléfono": "phone",
    "celular": "phone",
    "movil": "phone",
    "móvil": "phone",
    "pais": "country",
    "país": "country",
    "zona horaria": "time_zone",
    "zona_horaria": "time_zone",
    "timezone": "time_zone",
    "time zone": "time_zone",
    "idioma": "language",
    "intereses": "interests",
    "consentimiento": "consent",
    "consentimiento sms": "sms_consent",
    "consentimiento_sms": "sms_consent",
    "sms": "sms_consent",
}
MAX_ROWS = 50_000


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    error: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    replayed: int = 0
    invalid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (no header, not text)."""


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows: cp1252, a superset of Latin-1's printable characters.
        return content.decode("cp1252", errors="replace")


def _dialect(text):
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        dialect = csv.excel()
        dialect.delimiter = ";" if first.count(";") > first.count(",") else ","
        return dialect


def _column(header):
    name = " ".join(str(header or "").strip().lower().split())
    name = HEADER_ALIASES.get(name, name.replace(" ", "_"))
    return name if name in FIELDS else None


def read_rows(content: bytes):
    """Yields (row number, {our field: value}) for each non-empty row."""
    text = decode(content)
    if not text.strip():
        raise UnreadableFile(_("El archivo está vacío."))
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    header = next(reader, None) or []
    columns = [_column(h) for h in header]
    if "email" not in columns:
        raise UnreadableFile(
            _("No se encontró la columna del email (cabeceras: email/correo, nombre, plan...).")
        )
    for number, values in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise UnreadableFile(_("Demasiadas filas (máx. %(n)s).") % {"n": MAX_ROWS})
        if not any(v.strip() for v in values):
            continue
        yield number, {c: v.strip() for c, v in zip(columns, values, strict=False) if c}


def import_students(
    *, content: bytes, source_name: str = "", dry_run: bool = False
) -> ImportReport:
    """Register every row; returns counts and a (row, field, error) list for the bad ones."""
    digest = hashlib.sha256(content).hexdigest()[:24]
    report = ImportReport(dry_run=dry_run)
    plans = active_plans() if dry_run else None
    for number, data in read_rows(content):
        report.rows += 1
        if source_name and not data.get("utm_source"):
            data["utm_source"] = source_name
        if dry_run:
            errors = clean_registration(data, plans=plans).errors
        else:
            result = register_student(
                data=data, source=Student.Source.CSV, external_id=f"csv:{digest}:{number}"
            )
            errors = result.errors
            if result.replayed:
                report.replayed += 1
            elif result.created:
                report.created += 1
            elif result.duplicate:
                report.duplicates += 1
        if errors:
            report.invalid += 1
            report.problems += [
                RowProblem(row=number, field=name, error=message)
                for name, messages in errors.items()
                for message in messages
            ]
    return report
