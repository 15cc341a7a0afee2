import pytest
from django.core.management import CommandError, call_command

from students.intake.csv_import import import_students
from students.models import IntakeRecord, Student

UTF8_COMMA = (
    "\ufeffemail,full_name,phone,country,plan,interests\n"
    'ana@example.com,Ana Núñez,+34 612 345 678,ES,basico,"nlp, visión"\n'
    "luis@example.com,Luis Peña,55 1234 5678,MX,premium,\n"
).encode()

# Excel on Windows: cp1252, semicolons, Spanish headers; row 3 has an unknown plan.
LATIN1_SEMICOLON = (
    "Correo;Nombre;Teléfono;País;Plan;Intereses\r\n"
    "maría@example.com;María Muñoz;11 2345 6789;AR;vip;automatización\r\n"
    "jose@example.com;José Ibáñez;612345678;ES;oro;\r\n"
    ";;;;;\r\n"
    "sofia@example.com;Sofía Ortega;3001234567;CO;Premium;\r\n"
).encode("cp1252")


def test_a_utf8_file_with_bom_and_commas_registers_every_row(plans):
    report = import_students(content=UTF8_COMMA)

    assert (report.rows, report.created, report.invalid) == (2, 2, 0)
    ana = Student.objects.get(email="ana@example.com")
    assert (ana.full_name, ana.phone, ana.interests, ana.source) == (
        "Ana Núñez",
        "+34612345678",
        ["nlp", "visión"],
        "csv",
    )


def test_an_excel_latin1_semicolon_file_imports_the_good_rows_and_reports_the_bad_one(plans):
    report = import_students(content=LATIN1_SEMICOLON, source_name="feria-2026")

    assert (report.rows, report.created, report.invalid) == (3, 2, 1)
    assert [(p.row, p.field) for p in report.problems] == [(3, "Plan")]
    assert "Planes válidos: basico, premium, vip" in report.problems[0].error
    maria = Student.objects.get(full_name="María Muñoz")
    assert (maria.plan.slug, maria.phone, maria.utm_source) == (
        "vip",
        "+541123456789",
        "feria-2026",
    )
    assert maria.interests == ["automatización"]
    assert IntakeRecord.objects.filter(status="invalid").get().data["full_name"] == "José Ibáñez"


def test_importing_the_same_file_twice_changes_nothing(plans):
    import_students(content=UTF8_COMMA)
    again = import_students(content=UTF8_COMMA)

    assert (again.created, again.replayed) == (0, 2)
    assert Student.objects.count() == 2
    assert IntakeRecord.objects.count() == 2


def test_a_dry_run_reports_errors_and_stores_nothing(plans):
    report = import_students(content=LATIN1_SEMICOLON, dry_run=True)

    assert (report.rows, report.invalid) == (3, 1)
    assert not Student.objects.exists()
    assert not IntakeRecord.objects.exists()


def test_the_command_prints_the_per_row_report(plans, tmp_path, capsys):
    path = tmp_path / "alumnos.csv"
    path.write_bytes(LATIN1_SEMICOLON)

    call_command("import_students", str(path), "--source-name", "feria")

    out = capsys.readouterr().out
    assert "3\tPlan\tPlan desconocido «oro»" in out
    assert (
        "3 filas: 2 estudiantes nuevos, 0 ya eran estudiantes (actualizados), "
        "0 ya importadas antes (sin cambios), 1 rechazadas por errores." in out
    )


def test_the_command_refuses_a_file_without_an_email_column(plans, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(CommandError, match="columna del email"):
        call_command("import_students", str(path))
