"""Moving in from Thinkific: `manage.py import_thinkific` against a faked Admin API.

The bodies are shaped as Thinkific's Admin API v1 OpenAPI spec defines them (a copy is
ballerina-platform/openapi-connectors, openapi/thinkific/openapi.yaml; summarised in the
project's research notes): `UserResponse` (id, email, first_name, last_name, full_name,
roles, created_at, external_source), `EnrollmentResponse` (id, user_id, user_email,
user_name, course_id, course_name, percentage_completed 0.0-1.0, expired, is_free_trial,
completed, started_at, activated_at, completed_at, updated_at, expiry_date), and every list
as {items, meta: {pagination: {current_page, next_page, prev_page, total_pages,
total_items, entries_info}}}, paged with `page` and `limit`.
"""

from io import StringIO

import pytest
import respx
from django.core.management import call_command
from django.utils import timezone

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from students.models import IntakeRecord, Material, OnboardingStep, Plan, Student

pytestmark = pytest.mark.django_db
API = "https://api.thinkific.test/api/public/v1"


@pytest.fixture(autouse=True)
def thinkific(settings):
    settings.THINKIFIC_API_KEY = "tk-secret"
    settings.THINKIFIC_SUBDOMAIN = "escuela-ia"
    settings.THINKIFIC_API_BASE_URL = API


def user(number, email, *, roles=(), first="Ana", last="Ruiz"):
    return {
        "id": number,
        "email": email,
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}",
        "roles": list(roles),
        "created_at": "2024-03-05T10:15:00.000Z",
        "external_source": None,
    }


def enrollment(number, user_id, course_id, *, expired=False, trial=False):
    return {
        "id": number,
        "user_id": user_id,
        "user_email": f"u{user_id}@example.com",
        "user_name": "",
        "course_id": course_id,
        "course_name": f"Curso {course_id}",
        "percentage_completed": 0.5,
        "expired": expired,
        "is_free_trial": trial,
        "completed": False,
        "started_at": "2024-03-06T09:00:00.000Z",
        "activated_at": None if trial else "2024-03-05T10:16:00.000Z",
        "completed_at": None,
        "updated_at": "2024-04-01T12:00:00.000Z",
        "expiry_date": None,
    }


def pages(items, size=2):
    """Thinkific's list answers, `size` items a page."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    total = len(chunks)
    return [
        {
            "items": chunks[n - 1],
            "meta": {
                "pagination": {
                    "current_page": n,
                    "next_page": n + 1 if n < total else None,
                    "prev_page": n - 1 if n > 1 else None,
                    "total_pages": total,
                    "total_items": len(items),
                    "entries_info": f"page {n} of {total}",
                }
            },
        }
        for n in range(1, total + 1)
    ]


@pytest.fixture
def school(db):
    basico = Plan.objects.create(slug="basico", name="Básico", price=29)
    premium = Plan.objects.create(slug="premium", name="Premium", price=79)
    for plan, course in ((basico, "101"), (premium, "101"), (premium, "202")):
        material, _ = Material.objects.get_or_create(
            title=f"Curso {course}",
            defaults={"kind": Material.Kind.COURSE, "lms_course_id": course, "url": ""},
        )
        plan.materials.add(material)
    return {"basico": basico, "premium": premium}


@pytest.fixture
def api(school):
    users = [
        user(1, "ana@example.com"),
        user(2, "Beto@Example.com", first="Beto", last="Luna"),
        user(3, "admin@escuela.example", roles=["site_admin"]),
        user(4, "caro@example.com", first="Caro", last="Díaz"),
        user(5, "dani@example.com", first="Dani", last="Paz"),
    ]
    enrollments = [
        enrollment(11, 1, 101),
        enrollment(12, 1, 202),  # Ana: both courses, Premium's
        enrollment(13, 2, 101),  # Beto: Básico's course (both plans have it: dearest)
        enrollment(14, 4, 999),  # Caro: a course no plan has
        enrollment(15, 5, 202, expired=True),  # Dani: nothing live
    ]
    with respx.mock(base_url=API, assert_all_mocked=True) as mock:
        mock.users = mock.get("/users").mock(
            side_effect=lambda request: respx.MockResponse(
                200, json=pages(users)[int(request.url.params["page"]) - 1]
            )
        )
        mock.get("/enrollments").mock(
            side_effect=lambda request: respx.MockResponse(
                200, json=pages(enrollments)[int(request.url.params["page"]) - 1]
            )
        )
        yield mock


def run(*args):
    out = StringIO()
    call_command("import_thinkific", *args, stdout=out)
    return out.getvalue().splitlines()


def test_a_dry_run_reports_every_user_and_stores_nothing(api):
    lines = run("--dry-run")

    assert lines[:2] == [
        "Thinkific: 5 usuarios leídos.",
        "Estudiantes nuevos: 2 · ya eran estudiantes: 0 · importados antes: 0 · rechazados: 2 "
        "· administradores (no se importan): 1.",
    ]
    assert "caro@example.com: Ningún plan incluye sus cursos de Thinkific (999)" in lines[2]
    assert lines[3] == "dani@example.com: No tiene ninguna matrícula activa en Thinkific."
    assert lines[-1] == "Prueba: no se guardó nada."
    assert not Student.objects.exists()
    assert not IntakeRecord.objects.exists()
    # Three pages of users, every page asked with Thinkific's own parameters.
    pages_asked = [call.request.url.params["page"] for call in api.users.calls]
    assert pages_asked == ["1", "2", "3"]
    assert api.users.calls[0].request.headers["X-Auth-API-Key"] == "tk-secret"


def test_users_become_students_with_their_courses_plan_and_nobody_is_contacted(
    api, school, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        run()

    ana = Student.objects.get(email="ana@example.com")
    beto = Student.objects.get(email="Beto@Example.com")
    assert (ana.plan, beto.plan) == (school["premium"], school["premium"])
    assert (ana.full_name, ana.lms_user_id, ana.source) == ("Ana Ruiz", "1", "thinkific")
    assert ana.status == Student.Status.ACTIVE
    assert ana.created_at.isoformat().startswith("2024-03-05T10:15")  # joined Thinkific then
    assert ana.activated_at >= before  # inactivity counts from the import
    assert ana.materials.count() == 2
    assert not Student.objects.filter(email__in=["admin@escuela.example", "caro@example.com"])
    record = IntakeRecord.objects.get(source="thinkific", external_id="1")
    assert record.student == ana
    assert [e["id"] for e in record.data["enrollments"]] == [11, 12]
    refused = IntakeRecord.objects.get(source="thinkific", external_id="4")
    assert refused.status == IntakeRecord.Status.INVALID
    assert AuditEntry.objects.filter(action="students.student.imported").count() == 2
    # History, not news: no onboarding, no welcome draft, no email.
    assert not OnboardingStep.objects.exists()
    assert not Draft.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_second_run_changes_nothing_and_a_fixed_plan_lets_a_refused_user_in(api, school):
    run()
    students = list(Student.objects.values().order_by("pk"))

    assert run()[1] == (
        "Estudiantes nuevos: 0 · ya eran estudiantes: 0 · importados antes: 2 · rechazados: 2 "
        "· administradores (no se importan): 1."
    )
    assert list(Student.objects.values().order_by("pk")) == students

    course = Material.objects.create(
        title="Curso 999", kind=Material.Kind.COURSE, lms_course_id="999", url=""
    )
    school["basico"].materials.add(course)
    assert run()[1].startswith("Estudiantes nuevos: 1 ·")
    assert Student.objects.get(email="caro@example.com").plan == school["basico"]


def test_a_person_who_is_already_a_student_is_linked_not_duplicated(api, school):
    ana = Student.objects.create(
        full_name="Ana R.",
        email="ANA@example.com",
        plan=school["basico"],
        status=Student.Status.ACTIVE,
        source=Student.Source.API,
    )

    assert run()[1].startswith("Estudiantes nuevos: 1 · ya eran estudiantes: 1 ·")

    ana.refresh_from_db()
    assert (ana.lms_user_id, ana.plan, ana.full_name) == ("1", school["basico"], "Ana R.")
