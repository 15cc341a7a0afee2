"""Tables staff download (the dashboard's KPIs and tables, the funnel): CSV that Excel
opens right in the staff's language, and XLSX.

Excel reads a CSV by the computer's regional settings: in Spanish it expects `;` between
fields and a decimal comma, and without a byte-order mark it takes UTF-8 for the local
code page (accents turn to mojibake). So a CSV in Spanish starts with a BOM, uses `;` and
writes numbers with a decimal comma and no thousands separator, which Excel reads back as
numbers; in English, `,` and a decimal point. XLSX cells hold real numbers either way.
Cells stay values (int, float, Decimal, date, str, None) until written here."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import translation
from openpyxl import Workbook

BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBERS = (int, float, Decimal)


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str


DIALECTS = {"es": Dialect(";", ","), "en": Dialect(",", ".")}


def dialect(language=None) -> Dialect:
    language = (language or translation.get_language() or "es").split("-")[0]
    return DIALECTS.get(language, DIALECTS["es"])


def _places(value):
    return getattr(value, "places", None)


def _csv_cell(value, decimal):
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, NUMBERS):
        places = _places(value)
        number = round(float(value), places) if places is not None else value
        if isinstance(number, float) and number.is_integer() and places is None:
            number = int(number)
        text = format(number, "f") if isinstance(number, Decimal) else repr(number)
        return text.replace(".", decimal) if decimal != "." else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_text(header, rows, language=None) -> str:
    """The whole file, BOM first, in the dialect of `language` (the active one)."""
    chosen = dialect(language)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=chosen.delimiter, lineterminator="\r\n")
    writer.writerow([str(column) for column in header])
    for row in rows:
        writer.writerow([_csv_cell(cell, chosen.decimal) for cell in row])
    return out.getvalue()


def xlsx_bytes(header, rows, title="Datos") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(title)[:31]  # Excel's limit for a sheet name
    sheet.append([str(column) for column in header])
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, NUMBERS) and not isinstance(cell, bool):
                places = _places(cell)
                cells.append(round(float(cell), places) if places is not None else cell)
            elif cell is None or isinstance(cell, datetime | date):
                cells.append(cell.replace(tzinfo=None) if isinstance(cell, datetime) else cell)
            else:
                cells.append(str(cell))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def response(request, name, header, rows, title="Datos") -> HttpResponse:
    """`?formato=xlsx` gives XLSX; otherwise CSV in the request's language."""
    rows = list(rows)
    if request.GET.get("formato") == "xlsx":
        reply = HttpResponse(xlsx_bytes(header, rows, title), content_type=XLSX)
        extension = "xlsx"
    else:
        reply = HttpResponse(
            csv_text(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        extension = "csv"
    reply["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return reply
