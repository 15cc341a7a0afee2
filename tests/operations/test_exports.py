"""Exports open right in Spanish Excel: BOM, `;`, decimal comma, numbers as numbers (read
back here as Excel would), and the same tables as XLSX."""

import csv
import io
from datetime import date

import openpyxl
import pytest
import time_machine
from django.utils import translation

from courseops.operations import exports
from courseops.operations.kpis.registry import Amount, Percent
from tests.operations.test_kpis import NOW
from tests.operations.test_kpis import data as data  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.django_db


def _excel_es(content):
    """Read a CSV as Spanish Excel does: BOM, `;`, and numbers with a decimal comma."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _number_es(text):
    assert "." not in text, text  # no point: Spanish Excel would read "0.5" as text or a date
    return float(text.replace(",", "."))


def test_spanish_csv_has_bom_semicolons_decimal_commas_and_keeps_accents():
    header = ["Área", "Llamadas", "Coste (USD)", "Parte del coste", "Día"]
    rows = [["Campaña", 3, Amount(0.0267), Percent(45.4545), date(2026, 11, 20)], [None] * 5]
    with translation.override("es"):
        content = exports.csv_text(header, rows).encode("utf-8")
    read = _excel_es(content)
    assert read[0] == header
    assert read[1][0] == "Campaña"
    assert read[1][1] == "3"
    assert _number_es(read[1][2]) == 0.03
    assert _number_es(read[1][3]) == 45.5
    assert read[1][4] == "2026-11-20"
    assert read[2] == [""] * 5


def test_english_csv_uses_commas_and_decimal_points():
    with translation.override("en"):
        text = exports.csv_text(["a", "b"], [["x; y", 0.5]])
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["a", "b"],
        ["x; y", "0.5"],
    ]


def test_the_kpi_csv_reads_back_as_numbers_in_spanish_excel(data, admin_client):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = admin_client.get("/admin/kpis.csv?dias=7")
    rows = _excel_es(response.content)
    header, body = rows[0], rows[1:]
    kpis = {row[header.index("kpi")]: row for row in body}
    value = header.index("valor")
    assert _number_es(kpis["ai.cost"][value]) == 0.75
    assert _number_es(kpis["onboarding.completion"][value]) == 75
    assert _number_es(kpis["onboarding.completion"][header.index("progreso_%")]) == 78.95


def test_dashboard_tables_export_numbers_not_formatted_text(data, admin_client):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = admin_client.get("/admin/kpis.csv?dias=7&tabla=ai.cost_by_area")
    rows = _excel_es(response.content)
    assert rows[0] == ["Área", "Llamadas", "Coste (USD)", "Parte del coste"]
    assert _number_es(rows[1][2]) == 0.75  # not "0,75 USD" nor "0,8"
    assert _number_es(rows[1][3]) == 100  # not "100,0 %"


def test_every_dashboard_export_comes_as_xlsx_with_numeric_cells(data, admin_client):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        kpis = admin_client.get("/admin/kpis.csv?dias=7&formato=xlsx")
        table = admin_client.get("/admin/kpis.csv?dias=7&tabla=ai.cost_by_area&formato=xlsx")
    assert kpis["Content-Type"] == exports.XLSX
    assert kpis["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(kpis.content)).active
    header = [cell.value for cell in sheet[1]]
    by_key = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_key["ai.cost"][header.index("valor")] == 0.75
    assert by_key["onboarding.new_students"][header.index("valor")] == 4
    rows = list(openpyxl.load_workbook(io.BytesIO(table.content)).active.values)
    assert rows[1][2] == 0.75
    assert rows[1][3] == 100
