"""CSV and Excel (.xlsx) import of registrations (the command and the admin upload share it).

Whatever Excel or a spreadsheet wrote: an .xlsx workbook (its first sheet), or CSV in UTF-8
with or without BOM, or Windows Latin-1 (cp1252); comma, semicolon or tab; headers in
Spanish or English as people write them ("Nombre y apellidos", "Correo electrónico", or a
first and a last name in two columns), unknown columns reported by name. Every row goes
through `register_student` on its own, so one bad row never blocks another; the external id
is the file's digest and the row number, so importing the same file twice changes nothing.
A dry run says what each row would do (new, already a student, already imported, refused)
without doing it; the counts always add up to the rows.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from students.intake.places import folded
from students.intake.services import register_student
from students.intake.validation import FIELDS, active_plans, clean_registration, labelled_errors
from students.models import IntakeRecord, Student

# Headers people write, compared without case, accents or punctuation (see `folded`).
HEADER_ALIASES = {
    "correo": "email",
    "correo electronico": "email",
    "e mail": "email",
    "mail": "email",
    "email address": "email",
    "direccion de correo": "email",
    "nombre": "full_name",
    "nombre completo": "full_name",
    "nombre y apellidos": "full_name",
    "nombre y apellido": "full_name",
    "nombres y apellidos": "full_name",
    "apellidos y nombre": "full_name",
    "name": "full_name",
    "full name": "full_name",
    "alumno": "full_name",
    "alumna": "full_name",
    "telefono": "phone",
    "telefono movil": "phone",
    "celular": "phone",
    "movil": "phone",
    "whatsapp": "phone",
    "phone number": "phone",
    "mobile": "phone",
    "pais": "country",
    "pais de residencia": "country",
    "zona horaria": "time_zone",
    "timezone": "time_zone",
    "time zone": "time_zone",
    "idioma": "language",
    "intereses": "interests",
    "consentimiento": "consent",
    "acepta comunicaciones": "consent",
    "consentimiento sms": "sms_consent",
    "sms": "sms_consent",
    "acepta sms": "sms_consent",
}
# A first name and a last name in two columns make the full name.
FIRST_NAME_HEADERS = {"nombre", "nombres", "name"}
NAME_PARTS = {
    "first name": "first_name",
    "nombre de pila": "first_name",
    "last name": "last_name",
    "apellido": "last_name",
    "apellidos": "last_name",
    "surname": "last_name",
}
MAX_ROWS = 50_000


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str  # the field's name for staff ("País"), not ours
    error: str


@dataclass
class ImportReport:
    """Each row counts once: created + duplicates + replayed + invalid == rows."""

    rows: int = 0
    created: int = 0  # new students (or, in a dry run, that would be)
    duplicates: int = 0  # already students: their record is updated (upgrade, merge)
    replayed: int = 0  # the same row of the same file was imported before: nothing to do
    invalid: int = 0  # refused, with their errors (also when imported before with them)
    problems: list[RowProblem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
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


def _column(header, extra):
    """Our field for a header, a name part, or None when we have no such field. `extra`
    maps more (folded) headers to fields a caller reads besides a registration's."""
    name = folded(header)
    if name in NAME_PARTS:
        return NAME_PARTS[name]
    if name in extra:
        return extra[name]
    name = HEADER_ALIASES.get(name, name.replace(" ", "_"))
    return name if name in FIELDS else None


def _cell(value):
    """A spreadsheet cell as the text a person sees (5512345678, not 5512345678.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "sí" if value else ""
    return str(value).strip()


def _table(content: bytes):
    """The file's rows as lists of text: an Excel workbook's first sheet, or CSV."""
    if content[:4] == b"PK\x03\x04":  # .xlsx is a zip
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a broken workbook
            raise UnreadableFile(_("El archivo Excel no se puede leer.")) from exc
        sheet = workbook.worksheets[0]
        return ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
    text = decode(content)
    if not text.strip():
        raise UnreadableFile(_("El archivo está vacío."))
    return csv.reader(io.StringIO(text, newline=""), _dialect(text))


def read_table(content: bytes, *, extra=None):
    """(header's unknown columns, iterator of (row number, {our field: value}))."""
    table = iter(_table(content))
    header = next(table, None) or []
    columns = [_column(h, extra or {}) for h in header]
    if "last_name" in columns:
        # Beside a surname column, "Nombre" is the first name only.
        columns = [
            "first_name" if folded(h) in FIRST_NAME_HEADERS else c
            for h, c in zip(header, columns, strict=True)
        ]
    if "email" not in columns:
        raise UnreadableFile(
            _(
                "No se encontró la columna del email (cabeceras: email/correo, nombre, "
                "plan...). Columnas del archivo: %(columns)s."
            )
            % {"columns": ", ".join(str(h) for h in header if str(h).strip()) or "-"}
        )
    unknown = [str(h).strip() for h, c in zip(header, columns, strict=False) if not c]

    def rows():
        for number, values in enumerate(table, start=2):
            if number - 1 > MAX_ROWS:
                raise UnreadableFile(_("Demasiadas filas (máx. %(n)s).") % {"n": MAX_ROWS})
            values = [_cell(v) for v in values]
            if not any(values):
                continue
            data = {c: v for c, v in zip(columns, values, strict=False) if c}
            parts = [data.pop("first_name", ""), data.pop("last_name", "")]
            if any(parts) and not data.get("full_name"):
                data["full_name"] = " ".join(p for p in parts if p)
            yield number, data

    return [u for u in unknown if u], rows()


def read_rows(content: bytes, *, extra=None):
    """Yields (row number, {our field: value}) for each non-empty row."""
    return read_table(content, extra=extra)[1]


def import_students(
    *, content: bytes, source_name: str = "", dry_run: bool = False
) -> ImportReport:
    """Register every row (a dry run only says what would happen); returns counts that add
    up to the rows, the unknown columns, and a (row, field, error) list for the bad ones."""
    digest = hashlib.sha256(content).hexdigest()[:24]
    report = ImportReport(dry_run=dry_run)
    unknown, rows = read_table(content)
    report.unknown_columns = unknown
    plans = active_plans() if dry_run else None
    seen_emails = set()
    for number, data in rows:
        report.rows += 1
        if source_name and not data.get("utm_source"):
            data["utm_source"] = source_name
        external_id = f"csv:{digest}:{number}"
        if dry_run:
            outcome, errors = _foresee(data, external_id, plans, seen_emails)
        else:
            result = register_student(data=data, source=Student.Source.CSV, external_id=external_id)
            errors = result.errors
            outcome = (
                "invalid"
                if errors
                else "replayed"
                if result.replayed
                else "created"
                if result.created
                else "duplicates"
            )
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.problems += [
            RowProblem(row=number, field=label, error=message)
            for label, messages in labelled_errors(errors)
            for message in messages
        ]
    return report


def _foresee(data, external_id, plans, seen_emails):
    """What importing this row would do, without doing it."""
    before = IntakeRecord.objects.filter(source=Student.Source.CSV, external_id=external_id)
    before = before.only("status", "errors").first()
    if before is not None:
        if before.status == IntakeRecord.Status.INVALID:
            return "invalid", before.errors
        return "replayed", {}
    cleaned = clean_registration(data, plans=plans)
    if cleaned.errors:
        return "invalid", cleaned.errors
    email = cleaned.values["email"].lower()
    known = email in seen_emails or Student.objects.filter(email__iexact=email).exists()
    seen_emails.add(email)
    return ("duplicates" if known else "created"), {}


def summary_text(report: ImportReport) -> str:
    """The counts in the staff's words (they add up to the rows)."""
    text = _(
        "%(rows)s filas: %(created)s estudiantes nuevos, %(duplicates)s ya eran estudiantes "
        "(actualizados), %(replayed)s ya importadas antes (sin cambios), %(invalid)s "
        "rechazadas por errores."
    ) % {
        "rows": report.rows,
        "created": report.created,
        "duplicates": report.duplicates,
        "replayed": report.replayed,
        "invalid": report.invalid,
    }
    if report.dry_run:
        return _("Simulación, no se registró a nadie. %(summary)s") % {"summary": text}
    return text


def unknown_columns_text(report: ImportReport) -> str:
    return _("Columnas que no se importan (no las conocemos): %(columns)s.") % {
        "columns": ", ".join(f"«{c}»" for c in report.unknown_columns)
    }
