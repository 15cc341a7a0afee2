"""Risk scores carry their reasons; high ones get a reviewed intervention with an outcome."""

from datetime import timedelta

import pytest
import time_machine

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from courseops.support.models import Ticket
from engagement.models import (
    ActivityKind,
    Intervention,
    PlanCurriculum,
    RiskScore,
    RiskWeights,
)
from engagement.services.activity import Activity, record_activity
from engagement.services.risk import daily_risk_run, evaluate_outcomes, score_students
from students.models import Student
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


def event(student, at, kind=ActivityKind.SIGN_IN, external_id="", **metadata):
    record_activity(
        Activity(
            student=student, kind=kind, occurred_at=at, source="api",
            external_id=external_id, metadata=metadata,
        )
    )  # fmt: skip


@pytest.fixture
def struggling(make_student, plan):
    """Enrolled 40 days ago, 1 of 10 lessons, 14 days silent, a webinar and 2 quizzes missed."""
    PlanCurriculum.objects.create(plan=plan, lessons_total=10)
    with time_machine.travel(NOW - timedelta(days=40)):
        student = make_student(full_name="Marta Ruiz", email="marta@example.com")
    event(student, NOW - timedelta(days=20), ActivityKind.LESSON_COMPLETED, object_id="l1")
    for _ in range(2):
        event(student, NOW - timedelta(days=14), ActivityKind.QUIZ_ATTEMPTED, score=1, max_score=5)
    event(student, NOW - timedelta(days=5), ActivityKind.WEBINAR_MISSED, external_id="r1:missed")
    return student


def test_a_score_says_why_factor_by_factor(struggling):
    with time_machine.travel(NOW, tick=False):
        score_students()

    risk = RiskScore.objects.get(student=struggling)
    assert risk.reasons == (
        "14 días sin actividad, 57 % por detrás del ritmo esperado, faltó a 1 webinar, "
        "2 cuestionarios suspendidos, su actividad cayó de 2 a 0 eventos por semana"
    )
    points = {factor["factor"]: factor["points"] for factor in risk.factors}
    assert points == {
        "inactive": 33.0,  # 3 x (14 - 3)
        "behind_pace": 25.0,  # 5 x 5 tens of percent
        "missed_webinars": 8.0,
        "failed_quizzes": 10.0,
        "falling_activity": 10.0,  # the two quizzes were the week before last
    }
    assert (risk.score, risk.level) == (86, "high")


def test_staff_weights_change_the_score_and_past_due_is_a_factor(struggling, make_student):
    RiskWeights.objects.create(per_inactive_day=0, per_10_percent_behind=0, high_from=90)
    with time_machine.travel(NOW - timedelta(days=1)):
        late_payer = make_student(status=Student.Status.PAST_DUE)
    event(late_payer, NOW)

    with time_machine.travel(NOW, tick=False):
        score_students()

    assert RiskScore.objects.get(student=struggling).score == 28
    assert RiskScore.objects.get(student=struggling).level == "low"
    late = RiskScore.objects.get(student=late_payer)
    assert (late.score, late.reasons) == (20, "pago pendiente")


def test_falling_activity_is_a_factor(make_student):
    with time_machine.travel(NOW - timedelta(days=30)):
        student = make_student()
    for day in range(8, 14):
        event(student, NOW - timedelta(days=day))
    event(student, NOW - timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        score_students()

    assert "su actividad cayó de 6 a 1 eventos por semana" in RiskScore.objects.get().reasons


@pytest.mark.parametrize("students", [3, 30])
def test_scoring_runs_in_a_constant_number_of_queries(
    students, make_student, django_assert_max_num_queries
):
    for _ in range(students):
        event(make_student(), NOW - timedelta(days=3))
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(5):
        assert score_students() == students


def test_a_high_risk_student_gets_one_intervention_a_week_and_a_call_opens_a_ticket_once(
    struggling, staff_user, django_capture_on_commit_callbacks
):
    struggling.phone = "+5215512345678"
    struggling.save()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        daily_risk_run()
    tomorrow = time_machine.travel(NOW + timedelta(days=1), tick=False)
    with tomorrow, django_capture_on_commit_callbacks(execute=True):
        daily_risk_run()

    intervention = Intervention.objects.get()
    draft = Draft.objects.get(kind="at_risk_intervention")
    assert draft.data["intervention"] == "call"  # inactive and several reasons at once
    assert "14 días sin actividad" in draft.data["why"]
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    ticket = Ticket.objects.get(kind="at_risk_call")
    assert ticket.target == struggling
    assert "+5215512345678" in ticket.description
    assert "faltó a 1 webinar" in ticket.description
    intervention.refresh_from_db()
    assert (intervention.ticket, intervention.applied_at is not None) == (ticket, True)
    assert not OutboundMessage.objects.exists()


def test_an_approved_message_is_emailed_once_and_its_outcome_is_recorded(
    struggling, staff_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        daily_risk_run()
    draft = Draft.objects.get(kind="at_risk_intervention")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, data={**draft.data, "intervention": "message"})

    message = OutboundMessage.objects.get()
    assert (message.recipient, message.category) == ("marta@example.com", "engagement")
    event(struggling, NOW + timedelta(days=3))  # came back
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert evaluate_outcomes() == 0  # too early to say
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        assert evaluate_outcomes() == 1
    assert Intervention.objects.get().came_back is True


def test_a_cancelled_student_drops_off_the_at_risk_list(struggling):
    with time_machine.travel(NOW, tick=False):
        score_students()
    Student.objects.filter(pk=struggling.pk).update(status=Student.Status.INACTIVE)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        score_students()

    assert not RiskScore.objects.exists()


def test_the_weights_are_a_single_row_whatever_staff_add():
    RiskWeights(high_from=70).save()
    RiskWeights(high_from=80).save()  # what the admin's "add" does

    assert RiskWeights.objects.count() == 1
    assert RiskWeights.current().high_from == 80


def test_overdue_assignments_are_a_factor(make_student, plan):
    from engagement.models import Assignment

    with time_machine.travel(NOW - timedelta(days=20)):
        student = make_student()
    event(student, NOW - timedelta(days=1))
    for title in ("Primera", "Segunda"):
        Assignment.objects.create(
            title=title, plan=plan, instructions="x", rubric="x", due_days_after_enrolment=7
        )

    with time_machine.travel(NOW, tick=False):
        score_students()

    risk = RiskScore.objects.get(student=student)
    assert risk.reasons == "2 tareas vencidas"
    assert risk.score == 20
