"""Spreadsheets as staff really have them: Spanish or English headers as people write them,
Excel workbooks, countries by name; a dry run that says what would happen; counts that add
up on every run; a report in the staff's words."""

import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from students.intake.csv_import import import_students
from students.intake.validation import FIELD_LABELS
from students.models import IntakeRecord, Student

# Nine people: five good rows, four with an error each (plan, email, country, phone).
NINE = (
    "Nombre y apellidos;Correo electrónico;País;Plan;Teléfono móvil;Cómo nos conociste\n"
    "Ana Núñez;ana@example.com;España;basico;;Instagram\n"
    "Luis Peña;luis@example.com;México;premium;;\n"
    "Eva Gil;eva@example.com;Spain;vip;;Feria\n"
    "Sofía Ortega;sofia@example.com;Colombia;basico;;\n"
    "Raúl Díaz;raul@example.com;Argentina;premium;;\n"
    "José Ibáñez;jose@example.com;ES;oro;;\n"
    "Marta Ruiz;marta@gmial.com;ES;basico;;\n"
    "Pablo Soto;pablo@example.com;Atlántida;basico;;\n"
    "Irene Vidal;irene@example.com;ES;basico;12;\n"
).encode()


def total(report):
    return report.created + report.duplicates + report.replayed + report.invalid


def test_spanish_headers_as_people_write_them_and_country_names_are_understood(plans):
    report = import_students(content=NINE)

    assert (report.rows, report.created, report.invalid) == (9, 5, 4)
    ana = Student.objects.get(email="ana@example.com")
    assert (ana.full_name, ana.country) == ("Ana Núñez", "ES")
    assert Student.objects.get(email="eva@example.com").country == "ES"


def test_unknown_columns_are_reported_by_their_name(plans):
    report = import_students(content=NINE, dry_run=True)
    assert report.unknown_columns == ["Cómo nos conociste"]


def test_a_dry_run_counts_what_would_be_created_updated_and_refused(plans, student_factory):
    student_factory(email="luis@example.com")

    report = import_students(content=NINE, dry_run=True)

    assert (report.created, report.duplicates, report.replayed, report.invalid) == (4, 1, 0, 4)
    assert total(report) == report.rows == 9
    assert Student.objects.count() == 1
    assert not IntakeRecord.objects.exists()
    # And the real import does what the dry run said.
    real = import_students(content=NINE)
    assert (real.created, real.duplicates, real.invalid) == (4, 1, 4)


def test_counts_add_up_when_the_same_file_is_imported_again(plans):
    import_students(content=NINE)

    again = import_students(content=NINE)
    dry = import_students(content=NINE, dry_run=True)

    for report in (again, dry):
        assert (report.created, report.duplicates, report.replayed, report.invalid) == (
            0,
            0,
            5,
            4,
        )
        assert total(report) == report.rows == 9
    assert Student.objects.count() == 5


def test_the_report_names_each_problem_in_the_staffs_words(plans, tmp_path, capsys):
    report = import_students(content=NINE, dry_run=True)

    email = str(FIELD_LABELS["email"])  # "Correo electrónico" in Spanish
    assert {p.field for p in report.problems} == {"Plan", email, "País", "Teléfono"}
    path = tmp_path / "alumnos.csv"
    path.write_bytes(NINE)
    call_command("import_students", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "«Cómo nos conociste»" in out
    assert "Simulación, no se registró a nadie." in out
    for internal in ("full_name", "country", "phone", "email\t"):
        assert internal not in out


def test_first_and_last_name_columns_make_the_full_name(plans):
    content = b"first name,last name,email,plan\nAna,Ruiz Soto,ana@example.com,basico\n"
    import_students(content=content)
    assert Student.objects.get().full_name == "Ana Ruiz Soto"


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_excel_workbook_imports_its_first_sheet_with_numbers_as_typed(plans):
    content = xlsx(
        [
            ["Nombre", "Apellidos", "Correo electrónico", "Teléfono", "País", "Plan"],
            ["Luis", "Peña", "luis@example.com", 5512345678, "México", "Premium"],
            [None, None, None, None, None, None],
            ["Ana", "Núñez", "ana@example.com", None, "España", "vip"],
        ]
    )

    report = import_students(content=content)

    assert (report.rows, report.created, report.invalid) == (2, 2, 0)
    luis = Student.objects.get(email="luis@example.com")
    assert (luis.full_name, luis.phone, luis.country, luis.plan.slug) == (
        "Luis Peña",
        "+525512345678",
        "MX",
        "premium",
    )
    assert import_students(content=content).replayed == 2


def test_a_broken_workbook_is_refused_with_a_clear_message(plans):
    from students.intake.csv_import import UnreadableFile

    with pytest.raises(UnreadableFile, match="Excel"):
        import_students(content=b"PK\x03\x04not really a zip")
