"""One page per student with everything staff need about them, in constant queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from content.models import Course, Lesson, LessonProgress, QuizAttempt
from courseops.messaging.models import OutboundMessage, Status
from courseops.support.models import Ticket
from engagement.models import ActivityEvent, ActivityKind, ActivitySource, RiskScore
from marketing.models import Consent, Lead, Purpose
from students.models import OnboardingStep, Student, Subscription
from surveys.models import Answer, Survey
from webinars.models import Registration, Webinar

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.fixture
def support_viewer(django_user_model):
    """Support staff who may only look at students."""
    user = django_user_model.objects.create_user(username="lola", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_student"))
    return user


def give_history(student, n):
    """`n` rows of every kind of history the page shows."""
    student_type = ContentType.objects.get_for_model(Student)
    course = Course.objects.create(title=f"Curso {student.pk}", slug=f"curso-{student.pk}")
    course.plans.add(student.plan)
    lead = Lead.objects.create(
        email=student.email, student=student, first_source="api", last_source="api"
    )
    Consent.objects.create(
        lead=lead,
        purpose=Purpose.NEWSLETTER,
        status=Consent.Status.GRANTED,
        source="landing",
        text="Quiero recibir novedades.",
        requested_at=NOW,
        granted_at=NOW,
    )
    RiskScore.objects.create(
        student=student,
        score=70,
        level="high",
        computed_at=NOW,
        factors=[{"factor": "inactive", "value": 12, "points": 40}],
    )
    for name in OnboardingStep.ORDER:
        OnboardingStep.objects.create(student=student, name=name, status="done")
    for i in range(n):
        Subscription.objects.create(
            student=student,
            plan=student.plan,
            stripe_subscription_id=f"sub_{student.pk}_{i}",
            status="active",
        )
        OutboundMessage.objects.create(
            channel="email",
            recipient=student.email,
            subject=f"Mensaje {i}",
            idempotency_key=f"test.{student.pk}.{i}",
            status=Status.DELIVERED,
        )
        Ticket.objects.create(
            subject=f"Llamar {i}", content_type=student_type, object_id=str(student.pk)
        )
        ActivityEvent.objects.create(
            student=student,
            kind=ActivityKind.LESSON_VIEWED,
            occurred_at=NOW - timedelta(hours=i),
            source=ActivitySource.PORTAL,
        )
        lesson = Lesson.objects.create(
            course=course, order=i + 1, title=f"Lección {i}", published_at=NOW
        )
        LessonProgress.objects.create(lesson=lesson, student=student, completed_at=NOW)
        QuizAttempt.objects.create(lesson=lesson, student=student, answers={}, score=4, max_score=5)
        webinar = Webinar.objects.create(title=f"Webinar {i}", starts_at=NOW - timedelta(days=i))
        Registration.objects.create(
            webinar=webinar,
            student=student,
            email=student.email,
            source="onboarding",
            attended=True,
            minutes_attended=50,
        )
        survey = Survey.objects.create(kind=Survey.Kind.WEBINAR, webinar=webinar)
        Answer.objects.create(
            survey=survey, respondent=student.email, student=student, score=5, comment="Muy útil"
        )


def test_the_page_shows_every_part_of_the_student_in_spanish(
    client, support_viewer, student_factory
):
    student = student_factory(full_name="Emma Ruiz", email="emma@example.com")
    give_history(student, 1)
    client.force_login(support_viewer)

    response = client.get(reverse("admin:students_student_page", args=[student.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    for title in (
        "Plan y pagos",
        "Alta",
        "Progreso por lección",
        "Riesgo de abandono y sus motivos",
        "Actividad",
        "Mensajes y entrega",
        "Tickets",
        "Webinars",
        "Consentimientos",
        "Encuestas",
    ):
        assert f">\n            {title}\n        </h2>" in page or f">{title}</h2>" in page, title
    assert "12 días sin actividad" in page  # the reason, built from the stored value
    assert "Alto (70)" in page
    assert "Lección 0" in page
    assert "Terminada" in page
    assert "4/5" in page
    assert "Entregado" in page
    assert "Activa" in page
    assert "Llamar 0" in page
    assert "Asistió (50 min)" in page
    assert "Newsletter por correo" in page
    assert "Muy útil" in page
    assert "Lección vista" in page
    # A viewer gets no edit button.
    assert reverse("admin:students_student_change", args=[student.pk]) not in page


def test_the_page_costs_the_same_queries_with_1_or_20_rows_of_history(
    client, support_viewer, student_factory, django_assert_max_num_queries
):
    few, many = student_factory(), student_factory()
    give_history(few, 1)
    give_history(many, 20)
    client.force_login(support_viewer)
    client.get(reverse("admin:students_student_page", args=[few.pk]))  # warm caches

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("admin:students_student_page", args=[few.pk]))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("admin:students_student_page", args=[many.pk]))
    assert "Lección 19" in response.content.decode()
    assert len(one.captured_queries) <= 20


def test_the_students_list_links_to_each_page_and_staff_without_permission_are_refused(
    client, support_viewer, django_user_model, student_factory
):
    student = student_factory()
    client.force_login(support_viewer)
    listing = client.get(reverse("admin:students_student_changelist")).content.decode()
    assert reverse("admin:students_student_page", args=[student.pk]) in listing

    other = django_user_model.objects.create_user(username="m", password="x", is_staff=True)
    other.user_permissions.add(Permission.objects.get(codename="view_webinar"))
    client.force_login(other)
    assert client.get(reverse("admin:students_student_page", args=[student.pk])).status_code == 403
