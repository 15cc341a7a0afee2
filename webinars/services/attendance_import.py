"""Attendance from a CSV (our own columns, or Zoom's attendee/participants export),
matched by email, with a report per row so staff see what was and was not applied."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from courseops.messaging.services.addresses import normalize_email
from webinars.services.attendance import Source, attendance_record, attendance_settle

EMAIL_COLUMNS = {
    "email",
    "correo",
    "correo electrónico",
    "e-mail",
    "user email",
    "email del usuario",
}
MINUTES_COLUMNS = {
    "minutes",
    "minutos",
    "minutes_attended",
    "duration (minutes)",
    "duración (minutos)",
    "time in session (minutes)",
}
ATTENDED_COLUMNS = {"attended", "asistió", "asistio", "asistencia"}
YES = {"yes", "sí", "si", "true", "1", "x"}
NO = {"no", "false", "0"}


@dataclass
class RowResult:
    line: int
    email: str
    outcome: str  # "attended", "absent", "unknown", "invalid"
    detail: str = ""


@dataclass
class ImportReport:
    rows: list = field(default_factory=list)
    absentees_announced: int = 0

    def count(self, outcome):
        return sum(1 for row in self.rows if row.outcome == outcome)


def _header_index(rows):
    """Zoom's exports open with a block about the meeting: the table starts at the first
    row that has an email column."""
    for index, row in enumerate(rows):
        if any(cell.strip().lower() in EMAIL_COLUMNS for cell in row):
            return index
    raise ValidationError(_("El CSV no tiene columna de email (email, correo o User Email)."))


def _column(header, names):
    for position, cell in enumerate(header):
        if cell.strip().lower() in names:
            return position
    return None


def _cell(row, position):
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def read_rows(content: bytes):
    """[(line, email, attended or None, minutes or None, error)] from the CSV bytes."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("El CSV debe estar en UTF-8.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    start = _header_index(rows)
    header = rows[start]
    email_at = _column(header, EMAIL_COLUMNS)
    minutes_at = _column(header, MINUTES_COLUMNS)
    attended_at = _column(header, ATTENDED_COLUMNS)
    parsed = []
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        email, minutes_text = _cell(row, email_at), _cell(row, minutes_at)
        attended_text = _cell(row, attended_at).lower()
        error, minutes, attended = "", None, None
        if minutes_text:
            try:
                minutes = int(float(minutes_text.replace(",", ".")))
                if minutes < 0:
                    raise ValueError
            except ValueError:
                error = _("Minutos no válidos: %(value)s") % {"value": minutes_text}
        if attended_text in YES:
            attended = True
        elif attended_text in NO:
            attended = False
        elif attended_text:
            error = _("Valor de asistencia no reconocido: %(value)s") % {"value": attended_text}
        parsed.append((offset, email, attended, minutes, error))
    return parsed


def attendance_import_csv(*, webinar, content: bytes, settle=False, user=None) -> ImportReport:
    """Apply a CSV to the webinar's registrations. Without an attended column a listed
    person attended (unless their minutes are 0); Zoom lists each re-join on its own row,
    so minutes of one email add up. With `settle`, everyone else is then absent."""
    report = ImportReport()
    totals = {}  # email -> [attended, minutes, first line]
    for line, email, attended, minutes, error in read_rows(content):
        if error:
            report.rows.append(RowResult(line, email, "invalid", error))
            continue
        try:
            email = normalize_email(email)
        except ValidationError as exc:
            report.rows.append(RowResult(line, email, "invalid", " ".join(exc.messages)))
            continue
        if attended is None:
            attended = minutes is None or minutes > 0
        entry = totals.setdefault(email, [False, None, line])
        entry[0] = entry[0] or attended
        if minutes is not None:
            entry[1] = (entry[1] or 0) + minutes
    registrations = {
        registration.email: registration
        for registration in webinar.registrations.filter(
            email__in=list(totals), cancelled_at__isnull=True
        )
    }
    for email, (attended, minutes, line) in totals.items():
        registration = registrations.get(email)
        if registration is None:
            report.rows.append(
                RowResult(line, email, "unknown", _("No está inscrito en este webinar."))
            )
            continue
        attendance_record(
            registration=registration,
            attended=attended,
            minutes=minutes,
            source=Source.CSV,
            user=user,
        )
        outcome = "attended" if attended else "absent"
        detail = _("%(n)d min") % {"n": minutes} if minutes is not None else ""
        if not attended and registration.attended_at:  # counted (and announced) before
            outcome, detail = "attended", _("Ya constaba como asistente; no se cambia.")
        report.rows.append(RowResult(line, email, outcome, detail))
    report.rows.sort(key=lambda row: row.line)
    if settle:
        webinar.refresh_from_db()
        report.absentees_announced = attendance_settle(webinar=webinar, user=user)
    return report
