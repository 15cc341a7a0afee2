import csv

import pytest
from django.core.management import CommandError, call_command

from students.models import OnboardingStep, Student
from students.onboarding.pipeline import start_onboarding
from students.onboarding.welcome import welcome_drafts

pytestmark = pytest.mark.django_db
Step = OnboardingStep


def test_onboarding_retry_all_failed_resumes_every_failed_pipeline(
    make_student, settings, django_capture_on_commit_callbacks, capsys
):
    settings.LMS_BACKEND = "thinkific"
    students = [make_student(email=f"r{i}@example.com") for i in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        for student in students:
            start_onboarding(student=student)
    settings.LMS_BACKEND = "portal"

    with django_capture_on_commit_callbacks(execute=True):
        call_command("onboarding_retry", "--all-failed")

    assert set(Student.objects.values_list("status", flat=True)) == {"active"}
    assert "2 retried, 0 still failing." in capsys.readouterr().out


def test_onboarding_retry_runs_one_named_step_and_reports_a_failure(
    student, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)
    settings.LMS_BACKEND = "thinkific"

    with pytest.raises(CommandError, match="1 step"):
        call_command("onboarding_retry", "--student", str(student.pk), "--step", "account")

    step = Step.objects.get(student=student, name="account")
    assert step.status == Step.Status.FAILED
    assert step.attempts == 2


def test_onboarding_retry_without_a_selection_is_refused():
    with pytest.raises(CommandError, match="--all-failed"):
        call_command("onboarding_retry")


def test_export_students_writes_a_csv_with_spanish_headers(make_student, tmp_path):
    make_student(consent_given=True)
    make_student(email="pedro@example.com", full_name="Pedro Núñez", interests=[])
    out = tmp_path / "alumnos.csv"

    call_command("export_students", "--out", str(out))

    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [row["email"] for row in rows] == ["lucia@example.com", "pedro@example.com"]
    assert rows[0]["nombre"] == "Lucía Fernández"
    assert rows[0]["intereses"] == "LLMs; visión artificial"
    assert rows[0]["consentimiento"] == "sí"
    assert rows[1]["plan"] == "premium"
    assert list(rows[0])[:4] == ["id", "nombre", "email", "teléfono"]


def test_demo_data_has_students_in_every_state_and_loads_twice(capsys):
    call_command("load_demo_data")
    call_command("load_demo_data")

    assert set(Student.objects.values_list("status", flat=True)) == {
        "onboarding",
        "active",
        "past_due",
        "inactive",
    }
    assert set(Student.objects.values_list("plan__slug", flat=True)) == {"basico", "premium", "vip"}
    assert Step.objects.filter(status=Step.Status.FAILED).count() == 1
    assert Student.objects.filter(email="lucia.alumna.demo@example.com", status="active").exists()
    emma = Student.objects.get(email="emma.student.demo@example.com", status="active")
    assert welcome_drafts(emma).get().subject == "Welcome aboard, Emma!"
    assert Student.objects.count() == 7
