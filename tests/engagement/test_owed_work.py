"""An assignment's AI feedback and a question's answer survive a lost Celery message: the
broker is down when the task is asked for, the row keeps its mark, and the sweeper
(`engagement.enqueue_owed_work`) has the work done once after the grace."""

from datetime import timedelta

import pytest
import time_machine

from courseops.reviews.models import Draft
from engagement import tasks
from engagement.models import Assignment, KnowledgeArticle, Question, Submission
from engagement.services.assignments import submit_assignment
from engagement.services.faq import ask_question
from engagement.services.owed import enqueue_due
from tests.conftest import lost_broker
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db
NOTHING_DUE = {"feedback_due_since": 0, "answer_due_since": 0}


def test_a_submission_made_while_the_broker_is_down_gets_one_feedback_draft_from_the_sweeper(
    student, plan, django_capture_on_commit_callbacks
):
    assignment = Assignment.objects.create(
        title="Tu primer prompt",
        plan=plan,
        instructions="Escribe un prompt para resumir un contrato.",
        rubric="Claridad (5), contexto (5).",
        max_score=10,
    )
    with (
        time_machine.travel(NOW, tick=False),
        lost_broker(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        submit_assignment(assignment=assignment, student=student, text="Actúa como abogado...")

    submission = Submission.objects.get()
    assert submission.status == Submission.Status.SUBMITTED
    assert not Draft.objects.filter(kind="assignment_feedback").exists()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert enqueue_due() == NOTHING_DUE  # within the grace the task is not presumed lost
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert enqueue_due()["feedback_due_since"] == 1

    submission.refresh_from_db()
    assert (submission.status, submission.feedback_due_since) == ("feedback_drafted", None)
    assert Draft.objects.filter(kind="assignment_feedback").count() == 1
    tasks.draft_assignment_feedback.apply(args=[submission.pk])  # a duplicate delivery
    assert Draft.objects.filter(kind="assignment_feedback").count() == 1
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert enqueue_due() == NOTHING_DUE


def test_a_question_asked_while_the_broker_is_down_is_answered_once_by_the_sweeper(
    student, django_capture_on_commit_callbacks
):
    KnowledgeArticle.objects.create(
        question="¿Cómo descargo el certificado del curso?",
        answer="Al completar todas las lecciones, el certificado aparece en tu portal.",
    )
    with (
        time_machine.travel(NOW, tick=False),
        lost_broker(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ask_question(student=student, text="¿Dónde descargo el certificado del curso?")

    question = Question.objects.get()
    assert question.status == Question.Status.RECEIVED
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert enqueue_due()["answer_due_since"] == 1

    question.refresh_from_db()
    assert (question.status, question.answer_due_since) == ("drafted", None)
    assert Draft.objects.filter(kind="faq_answer").count() == 1
    tasks.answer_question_task.apply(args=[question.pk])  # a duplicate delivery
    assert Draft.objects.filter(kind="faq_answer").count() == 1
