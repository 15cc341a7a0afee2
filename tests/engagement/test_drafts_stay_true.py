"""A draft about a student's state is re-checked when approved and when its message leaves
the outbox: no longer true, it is withdrawn with the reason for staff, never sent."""

from datetime import timedelta

import pytest
import time_machine

from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services.sending import deliver_message
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import DraftWithdrawn, apply_draft, approve_draft, create_draft
from engagement.models import (
    Assignment,
    Nudge,
    NudgeRule,
    PlanCurriculum,
    StudentProgress,
    Submission,
)
from tests.engagement.conftest import NOW
from tests.engagement.test_nudges import active_at, only_rules, run_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def inactive_draft(student, capture):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=15))
    run_scan(capture)
    return Draft.objects.get(kind="nudge_inactive")


def test_a_nudge_approved_after_the_student_came_back_is_withdrawn_with_the_reason(
    student, inactive_draft, staff_user, capture
):
    active_at(student, NOW + timedelta(days=1))  # back in the course yesterday

    with (
        time_machine.travel(NOW + timedelta(days=2), tick=False),
        capture(execute=True),
        pytest.raises(DraftWithdrawn, match="volvió al curso"),
    ):
        approve_draft(draft=inactive_draft, user=staff_user)

    inactive_draft.refresh_from_db()
    assert inactive_draft.status == DraftStatus.WITHDRAWN
    assert "ya no está inactivo" in inactive_draft.last_error
    assert not OutboundMessage.objects.exists()
    assert Nudge.objects.get().status == Nudge.Status.SKIPPED


def test_a_nudge_waiting_in_the_outbox_is_not_sent_once_the_student_is_back(
    student, inactive_draft, staff_user, capture
):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        with capture(execute=False):  # approved; its action runs below, as the task would
            approve_draft(draft=inactive_draft, user=staff_user)
        apply_draft(draft_id=inactive_draft.pk)
    message = OutboundMessage.objects.get()
    assert message.status == Status.QUEUED
    active_at(student, NOW + timedelta(hours=2))  # she comes back before it leaves

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        deliver_message(message_id=message.pk, max_attempts=3, retry_delay=lambda n: timedelta())

    message.refresh_from_db()
    inactive_draft.refresh_from_db()
    assert message.status == Status.DROPPED
    assert "volvió al curso" in message.last_error
    assert inactive_draft.status == DraftStatus.WITHDRAWN
    assert Nudge.objects.get().status == Nudge.Status.SKIPPED


def test_an_assignment_reminder_is_withdrawn_once_the_task_is_handed_in(student, plan, staff_user):
    assignment = Assignment.objects.create(title="Tu primer prompt", plan=plan)
    rule = NudgeRule.objects.get(kind="assignment_due")
    nudge = Nudge.objects.create(
        rule=rule, student=student, occurrence=f"a{assignment.pk}", scan_id="s"
    )
    draft = create_draft(
        kind="nudge_pending", target=nudge, subject="Tu tarea", body="<p>Te falta</p>"
    )
    Submission.objects.create(assignment=assignment, student=student, submitted_at=NOW)

    with pytest.raises(DraftWithdrawn, match="ya entregó «Tu primer prompt»"):
        approve_draft(draft=draft, user=staff_user)


def test_a_congratulation_past_the_next_milestone_is_withdrawn(student, plan, staff_user):
    PlanCurriculum.objects.create(plan=plan, lessons_total=4)
    StudentProgress.objects.create(student=student, lessons_completed=1)
    rule = NudgeRule.objects.get(kind="milestone", threshold=25)
    nudge = Nudge.objects.create(rule=rule, student=student, occurrence="pct:25", scan_id="s")
    draft = create_draft(kind="congratulations", target=nudge, subject="¡25 %!", body="<p>Bien</p>")
    StudentProgress.objects.filter(student=student).update(lessons_completed=3)  # now 75 %

    with pytest.raises(DraftWithdrawn, match="siguiente hito"):
        approve_draft(draft=draft, user=staff_user)


def test_staff_approving_a_stale_nudge_in_the_admin_read_why_it_was_withdrawn(
    student, inactive_draft, staff_user, client
):
    from tests.reviews.test_admin import change_url, form_post

    active_at(student, NOW + timedelta(days=1))
    client.force_login(staff_user)

    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        response = client.post(
            change_url(inactive_draft), form_post(inactive_draft, _approve="1"), follow=True
        )

    page = response.content.decode()
    assert "Borrador retirado: el estudiante volvió al curso" in page
    assert "Retirado: ya no es cierto" in page
    assert not OutboundMessage.objects.exists()


def test_an_at_risk_intervention_is_withdrawn_once_the_student_is_back(student, staff_user):
    from engagement.models import Intervention

    with time_machine.travel(NOW, tick=False):
        intervention = Intervention.objects.create(
            student=student, week="2026-W47", kind="message", score=80
        )
    draft = create_draft(
        kind="at_risk_intervention",
        target=intervention,
        subject="¿Te ayudamos?",
        body="<p>Hace días que no entras</p>",
        data={"intervention": "message"},
    )
    active_at(student, NOW + timedelta(days=1))

    with pytest.raises(DraftWithdrawn, match="después del aviso de riesgo"):
        approve_draft(draft=draft, user=staff_user)


def test_feedback_on_an_answer_the_student_changed_is_withdrawn(student, plan, staff_user):
    assignment = Assignment.objects.create(title="Tu primer prompt", plan=plan)
    submission = Submission.objects.create(
        assignment=assignment, student=student, submitted_at=NOW, text="Primera versión"
    )
    draft = create_draft(
        kind="assignment_feedback",
        target=submission,
        subject="Comentarios",
        body="<p>Bien</p>",
        data={"score": 8},
        context={"answer": "Primera versión"},
    )
    Submission.objects.filter(pk=submission.pk).update(text="Segunda versión, mejorada")

    with pytest.raises(DraftWithdrawn, match="cambió su entrega"):
        approve_draft(draft=draft, user=staff_user)


def test_an_ai_answer_to_a_question_the_team_took_over_is_withdrawn(staff_user):
    from engagement.models import Question

    question = Question.objects.create(
        email="lucia@example.com", text="¿Puedo cambiar de plan?", channel="portal"
    )
    draft = create_draft(kind="faq_answer", target=question, subject="Respuesta", body="<p>Sí</p>")
    Question.objects.filter(pk=question.pk).update(status=Question.Status.HANDED_OVER)

    with pytest.raises(DraftWithdrawn, match="pasó al equipo"):
        approve_draft(draft=draft, user=staff_user)
