"""End to end with the real floors below: content publishes a lesson of the plan's course
and scores its quiz in the portal; webinars records attendance. Engagement's progress and
activity follow from their signals alone."""

from datetime import timedelta

import pytest
import time_machine

from content.models import Course, Lesson
from content.services.publishing import publish_lesson
from engagement.models import ActivityEvent, ActivityKind, PlanCurriculum
from engagement.services.progress import progress_for
from students.portal.services import SESSION_EMAIL_KEY, SESSION_KEY
from tests.engagement.conftest import NOW
from webinars.services import registration_create, webinar_create, webinar_schedule
from webinars.services.attendance import attendance_settle, join_url
from webinars.services.attendance_import import attendance_import_csv

pytestmark = pytest.mark.django_db

QUIZ = {
    "questions": [
        {
            "question": f"¿Pregunta {n}?",
            "options": [{"text": "Sí", "correct": True}, {"text": "No", "correct": False}],
            "explanation": "",
        }
        for n in range(1, 4)
    ]
}


@pytest.fixture
def draft_lessons(course):
    return [
        Lesson.objects.create(course=course, order=n, title=f"Lección {n}", quiz=QUIZ)
        for n in range(1, 5)
    ]


@pytest.fixture
def signed_in(client, student):
    session = client.session
    session[SESSION_KEY] = student.pk
    session[SESSION_EMAIL_KEY] = student.email
    session.save()
    return student


def _publish(lessons, capture):
    with capture(execute=True):
        for lesson in lessons:
            publish_lesson(lesson=lesson)


def test_a_published_lesson_viewed_and_passed_in_the_portal_moves_progress(
    client, signed_in, draft_lessons, django_capture_on_commit_callbacks
):
    student = signed_in
    other_course = Course.objects.create(title="Otro plan", slug="otro")
    foreign = Lesson.objects.create(course=other_course, title="De otro plan", quiz=QUIZ)
    _publish([*draft_lessons, foreign], django_capture_on_commit_callbacks)
    _publish(draft_lessons[:1], django_capture_on_commit_callbacks)  # published again
    assert PlanCurriculum.objects.get(plan=student.plan).lessons_total == 4

    lesson = draft_lessons[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/portal/lecciones/{lesson.pk}/").status_code == 200
        failed = {"q0": "0", "q1": "0", "q2": "1"}  # 2 of 3: below content's 70 %
        client.post(f"/portal/lecciones/{lesson.pk}/cuestionario/", failed)
        passed = {"q0": "0", "q1": "0", "q2": "0"}
        client.post(f"/portal/lecciones/{lesson.pk}/cuestionario/", passed)
        client.post(f"/portal/lecciones/{lesson.pk}/cuestionario/", passed)  # again

    progress = progress_for(student)
    assert (progress.lessons_completed, progress.lessons_total, progress.percent) == (1, 4, 25)
    assert progress.quizzes_attempted == 3
    assert student.progress.quizzes_failed == 1  # content's pass mark, not another one
    kinds = list(
        ActivityEvent.objects.filter(student=student)
        .order_by("pk")
        .values_list("kind", "object_id")
    )
    assert kinds.count((ActivityKind.LESSON_VIEWED, str(lesson.pk))) >= 1
    assert kinds.count((ActivityKind.QUIZ_ATTEMPTED, str(lesson.pk))) == 3
    assert kinds.count((ActivityKind.LESSON_COMPLETED, str(lesson.pk))) == 1
    page = client.get("/portal/progreso/")
    assert "25" in page.content.decode()


def test_a_course_added_to_or_removed_from_the_plan_changes_its_total(
    plan, course, draft_lessons, django_capture_on_commit_callbacks
):
    _publish(draft_lessons[:2], django_capture_on_commit_callbacks)
    second = Course.objects.create(title="Segundo", slug="segundo")
    Lesson.objects.create(course=second, title="S1", published_at=NOW)
    Lesson.objects.create(course=second, title="Borrador")
    curriculum = PlanCurriculum.objects.get(plan=plan)
    assert curriculum.lessons_total == 2

    plan.courses.add(second)
    curriculum.refresh_from_db()
    assert curriculum.lessons_total == 3

    PlanCurriculum.objects.filter(plan=plan).update(external_lessons=5)
    second.plans.remove(plan)
    curriculum.refresh_from_db()
    assert curriculum.lessons_total == 2 + 5  # an external LMS's lessons still count

    draft_lessons[0].delete()
    curriculum.refresh_from_db()
    assert curriculum.lessons_total == 1 + 5


def _webinar(students, capture):
    start = NOW + timedelta(days=3)
    with time_machine.travel(NOW, tick=False):
        webinar = webinar_create(
            title="IA para tu negocio",
            description="Casos prácticos.",
            starts_at=start,
            time_zone="America/Mexico_City",
            is_public=True,
            plans=(),
        )
        with capture(execute=True):
            webinar = webinar_schedule(webinar=webinar)
        registrations = [
            registration_create(webinar=webinar, student=student, source="onboarding")
            for student in students
        ]
    return webinar, registrations[0]


def test_attendance_by_tracked_join_link_counts_once_in_progress(
    client, student, django_capture_on_commit_callbacks
):
    webinar, registration = _webinar([student], django_capture_on_commit_callbacks)
    url = join_url(registration).removeprefix("http://127.0.0.1:8000")
    with (
        time_machine.travel(webinar.starts_at + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.get(url)
        client.get(url)

    progress = progress_for(student, now=webinar.starts_at + timedelta(hours=2))
    assert (progress.webinars_attended, progress.webinars_missed) == (1, 0)
    event = ActivityEvent.objects.get(student=student, kind=ActivityKind.WEBINAR_ATTENDED)
    assert event.target == webinar
    assert progress.last_activity_at == webinar.starts_at


def test_attendance_from_a_csv_import_and_the_absentees_settled(
    student, make_student, django_capture_on_commit_callbacks
):
    from webinars.models import Webinar

    absent = make_student()
    webinar, _registration = _webinar([student, absent], django_capture_on_commit_callbacks)
    Webinar.objects.filter(pk=webinar.pk).update(status=Webinar.Status.FINISHED)
    webinar.refresh_from_db()
    csv = f"email,minutos\n{student.email},45\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        attendance_import_csv(webinar=webinar, content=csv)
        attendance_import_csv(webinar=webinar, content=csv)  # imported twice
        attendance_settle(webinar=webinar)

    assert progress_for(student).webinars_attended == 1
    assert progress_for(absent).webinars_missed == 1
    event = ActivityEvent.objects.get(student=student, kind=ActivityKind.WEBINAR_ATTENDED)
    assert event.metadata["minutes"] == 45
