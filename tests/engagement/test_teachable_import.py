"""Moving in from Teachable: `manage.py import_teachable` against a faked Admin API (respx
at httpx's transport).

Shapes from Teachable's Admin API v1 as its OpenAPI description gives them (a copy:
api-evangelist/teachable, openapi/teachable-users-api-openapi.yml and
openapi/teachable-courses-api-openapi.yml): GET /users -> {users: [{id, name, email}],
meta: {total, page, from, to, per_page, number_of_pages}}; GET /users/{id} -> the user with
`role` and `courses` [{course_id, course_name, enrolled_at, is_active_enrollment,
completed_at, percent_complete}]; GET /courses/{id}/progress?user_id= -> {course_progress:
{id, certificate, completed_at, enrolled_at, percent_complete, lecture_sections: [{id, name,
lectures: [...]}]}, meta}. A lecture's progress fields (`id`, `name`, `is_completed`,
`completed_at`) follow Teachable's reference page for that endpoint (the OpenAPI copy leaves
the lecture object open).
"""

from datetime import timedelta
from io import StringIO

import pytest
import respx
import time_machine
from django.core.management import call_command

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from engagement.models import ActivityEvent, Nudge, PlanCurriculum, StudentProgress
from engagement.services.nudges import scan_rules
from students.models import IntakeRecord, Material, OnboardingStep, Student
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db
API = "https://developers.teachable.test/v1"


@pytest.fixture(autouse=True)
def teachable(settings, plan):
    settings.TEACHABLE_API_KEY = "tch-secret"
    settings.TEACHABLE_SCHOOL_URL = "https://escuela-ia.teachable.com"
    settings.TEACHABLE_API_BASE_URL = API
    plan.materials.add(
        Material.objects.create(title="IA aplicada", kind="course", lms_course_id="101")
    )
    PlanCurriculum.objects.update_or_create(
        plan=plan, defaults={"external_lessons": 4, "lessons_total": 4}
    )


def course(course_id, *, active=True, percent=0):
    return {
        "course_id": course_id,
        "course_name": f"Curso {course_id}",
        "enrolled_at": "2025-03-05T10:15:00Z",
        "is_active_enrollment": active,
        "completed_at": None,
        "percent_complete": percent,
    }


USERS = {
    5501: {"id": 5501, "name": "Ana Ruiz", "email": "ana@example.com", "role": "student",
           "courses": [course(101, percent=75)]},
    5502: {"id": 5502, "name": "Beto Gil", "email": "beto@example.com", "role": "student",
           "courses": [course(999)]},
    5503: {"id": 5503, "name": "Lucía", "email": "LUCIA@example.com", "role": "student",
           "courses": [course(101)]},
    1: {"id": 1, "name": "Dueña", "email": "owner@example.com", "role": "owner", "courses": []},
}  # fmt: skip


def lecture(lecture_id, done, when=None):
    return {"id": lecture_id, "name": f"Lección {lecture_id}", "is_completed": done,
            "completed_at": when}  # fmt: skip


PROGRESS = {
    "course_progress": {
        "id": 101,
        "certificate": None,
        "completed_at": None,
        "enrolled_at": "2025-03-05T10:15:00Z",
        "percent_complete": 75,
        "lecture_sections": [
            {"id": 1, "name": "Primeros pasos", "lectures": [
                lecture(11, True, "2025-03-06T09:00:00Z"),
                lecture(12, True, "2025-03-08T09:00:00Z"),
            ]},
            {"id": 2, "name": "Agentes", "lectures": [
                lecture(21, True, "2025-04-01T09:00:00Z"), lecture(22, False),
            ]},
        ],
    },
    "meta": {"total": 4, "page": 1, "per_page": 100, "number_of_pages": 1},
}  # fmt: skip


@pytest.fixture
def api():
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        summaries = [{k: u[k] for k in ("id", "name", "email")} for u in USERS.values()]
        mock.get("/users", params={"page": "1"}).respond(
            200,
            json={"users": summaries[:2], "meta": {"page": 1, "per_page": 2, "number_of_pages": 2}},
        )
        mock.get("/users", params={"page": "2"}).respond(
            200,
            json={"users": summaries[2:], "meta": {"page": 2, "per_page": 2, "number_of_pages": 2}},
        )
        for user_id, user in USERS.items():
            mock.get(f"/users/{user_id}").respond(200, json=user)
        mock.get("/courses/101/progress", params={"user_id": "5501"}).respond(200, json=PROGRESS)
        yield mock


def run(*args):
    out = StringIO()
    call_command("import_teachable", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_says_what_would_happen_and_stores_nothing(api, student):
    with time_machine.travel(NOW, tick=False):
        out = run("--dry-run")

    assert "Teachable: 4 usuarios leídos." in out
    assert (
        "Estudiantes nuevos: 1 · ya eran estudiantes: 1 · importados antes: 0 · rechazados: 1"
        " · administradores y autores (no se importan): 1." in out
    )
    assert "Lecciones completadas añadidas a su historial: 3." in out
    assert "beto@example.com: Ningún plan incluye sus cursos de Teachable (999)" in out
    assert "Prueba: no se guardó nada." in out
    assert Student.objects.count() == 1
    assert not IntakeRecord.objects.exists()
    assert not ActivityEvent.objects.exists()


def test_users_and_their_lessons_come_in_as_history_and_nobody_is_contacted(api, student):
    with time_machine.travel(NOW, tick=False):
        run()
        ana = Student.objects.get(email="ana@example.com")

        assert ana.source == "teachable"
        assert ana.lms_user_id == "5501"
        assert ana.status == Student.Status.ACTIVE
        assert ana.created_at.isoformat() == "2025-03-05T10:15:00+00:00"
        record = IntakeRecord.objects.get(source="teachable", external_id="5501")
        assert record.data["teachable_user"]["courses"][0]["course_id"] == 101
        lessons = ActivityEvent.objects.filter(student=ana).order_by("occurred_at")
        assert [e.metadata["object_id"] for e in lessons] == ["11", "12", "21"]
        assert lessons[0].occurred_at.isoformat() == "2025-03-06T09:00:00+00:00"
        progress = StudentProgress.objects.get(student=ana)
        assert progress.lessons_completed == 3  # 75 % of the plan's 4 lessons
        student.refresh_from_db()
        assert student.lms_user_id == "5503"  # an existing student is linked, not changed
        assert not OnboardingStep.objects.exists()
        assert not OutboundMessage.objects.exists()
        assert not Draft.objects.exists()

        # The scan finds the 25/50/75 % milestones and the old inactivity: history, not news.
        assert scan_rules() == 0
        assert set(Nudge.objects.filter(student=ana).values_list("status", flat=True)) == {
            "skipped"
        }

    # Inactivity counts from the import: after 8 quiet days in CourseOps, a nudge.
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        scan_rules()
    assert Nudge.objects.filter(student=ana, rule__kind="inactive", status="claimed").exists()


def test_a_second_run_changes_nothing(api, student):
    with time_machine.travel(NOW, tick=False):
        run()
        counts = (Student.objects.count(), ActivityEvent.objects.count(), Nudge.objects.count())

        out = run()

    assert "importados antes: 2" in out
    assert "Lecciones completadas añadidas a su historial: 0." in out
    assert (Student.objects.count(), ActivityEvent.objects.count(), Nudge.objects.count()) == counts
