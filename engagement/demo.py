"""Demo engagement on the students app's demo students, in every state (on a streak and
finished, halfway, inactive, not started, past due): their activity, risk scores and the
nudges the scan drafts; a
knowledge base with one question answered and approved, one answer waiting for review
and one handed to staff; an assignment
with a submission whose AI feedback waits for review."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft
from engagement.drip.defaults import install_default_drip
from engagement.models import (
    ActivityKind,
    ActivitySource,
    Assignment,
    KnowledgeArticle,
    PlanCurriculum,
    Question,
    Submission,
)
from engagement.services.activity import Activity, record_activity
from engagement.services.assignments import submit_assignment
from engagement.services.curriculum import refresh_curricula
from engagement.services.faq import answer_question, ask_question
from engagement.services.nudges import scan_rules
from engagement.services.risk import score_students
from students.models import Plan, Student

LESSONS_PER_PLAN = 8
# The students app's demo students, given (backdated) activity: email, [(days ago, kind,
# lesson number or None)]. María (onboarding) has none: she has not started yet.
ACTIVITY = [
    # Eight lessons on eight days in a row: a streak and the course completed.
    ("sofia.demo@example.com",
     [(7 - n, ActivityKind.LESSON_COMPLETED, n) for n in range(LESSONS_PER_PLAN)]),
    # Halfway, active two days ago (and already last month: retention has a figure).
    ("lucia.alumna.demo@example.com",
     [(40, ActivityKind.SIGN_IN, None),
      *[(5 - n, ActivityKind.LESSON_COMPLETED, n) for n in range(4)]]),
    # Silent for two weeks after a failed quiz and a missed webinar.
    ("jorge.demo@example.com",
     [(16, ActivityKind.LESSON_COMPLETED, 0), (15, ActivityKind.QUIZ_ATTEMPTED, 0),
      (6, ActivityKind.WEBINAR_MISSED, None)]),
    # Past due: scored (failed payment) but never nudged; active last month, not this one.
    ("pedro.demo@example.com", [(45, ActivityKind.SIGN_IN, None)]),
]  # fmt: skip


@register
def load_engagement_demo(*, staff):
    now = timezone.now()
    _curricula()
    students = {s.email: s for s in Student.objects.filter(email__in=[a[0] for a in ACTIVITY])}
    for email, events in ACTIVITY:
        student = students.get(email)
        if student is None:
            continue
        for number, (days_ago, kind, lesson) in enumerate(events):
            metadata = {"object_type": "lesson", "object_id": f"demo-{lesson}"}
            if kind == ActivityKind.QUIZ_ATTEMPTED:
                metadata.update(score=2, max_score=10)
            record_activity(
                Activity(
                    student=student,
                    kind=kind,
                    occurred_at=now - timedelta(days=days_ago, hours=2),
                    source=ActivitySource.API,
                    external_id=f"demo:{email}:{number}",  # loading twice adds nothing
                    metadata=metadata if lesson is not None else {},
                )
            )
    score_students(now=now)
    scan_rules(now=now)
    _knowledge_base_and_questions(staff)
    _assignment()


def _curricula():
    """Each plan has LESSONS_PER_PLAN lessons: the content app's published demo lessons and,
    for the rest, an external LMS's (the demo's activity arrives through the API). Set on
    every load, whichever app's demo ran first."""
    refresh_curricula()
    for curriculum in PlanCurriculum.objects.all():
        published = curriculum.lessons_total - curriculum.external_lessons
        PlanCurriculum.objects.filter(pk=curriculum.pk).update(
            external_lessons=max(0, LESSONS_PER_PLAN - published)
        )
    refresh_curricula()


ARTICLES = [
    ("¿Cómo descargo el certificado del curso?",
     "Al completar todas las lecciones, el certificado aparece en tu portal, en Progreso."),
    ("¿Puedo cambiar de plan?",
     "Sí: escribe al equipo y cambiamos tu plan a partir del siguiente pago."),
    ("¿Dónde veo las grabaciones de los webinars?",
     "En tu portal, en Webinars, unas horas después de cada sesión."),
]  # fmt: skip


def _knowledge_base_and_questions(staff):
    for question, answer in ARTICLES:
        KnowledgeArticle.objects.get_or_create(question=question, defaults={"answer": answer})
    _answered_question(staff)
    student = Student.objects.filter(email="lucia.alumna.demo@example.com").first()
    if student is None or Question.objects.filter(email=student.email).exists():
        return
    # One the knowledge base answers (a draft to review), one it does not (a ticket).
    ask_question(text="¿Dónde veo las grabaciones de los webinars?", student=student)
    ask_question(text="¿Hay descuento para equipos de empresa?", student=student)


def _answered_question(staff):
    """A question already answered, drafted and approved as the worker and staff would:
    the dashboard's response time has a figure."""
    student = Student.objects.filter(email="sofia.demo@example.com").first()
    if student is None or Question.objects.filter(email=student.email).exists():
        return
    question = ask_question(text="¿Cómo descargo el certificado del curso?", student=student)
    answer_question(question_id=question.pk)
    draft = Draft.objects.filter(kind="faq_answer", object_id=str(question.pk)).first()
    if draft is not None:
        approve_draft(draft=draft, user=staff)


def _assignment():
    student = Student.objects.filter(email="sofia.demo@example.com").first()
    if student is None:
        return
    assignment, _ = Assignment.objects.get_or_create(
        title="Tu primer prompt de resumen",
        defaults={
            "plan": student.plan,
            "instructions": "Escribe un prompt que resuma un contrato en cinco puntos.",
            "rubric": "Claridad de la instrucción (4), contexto dado (3), formato pedido (3).",
            "max_score": 10,
            "due_days_after_enrolment": 14,
        },
    )
    if not Submission.objects.filter(assignment=assignment, student=student).exists():
        submit_assignment(
            assignment=assignment,
            student=student,
            text="Actúa como abogado. Resume este contrato en cinco puntos con riesgos y plazos.",
        )


@register
def load_drip_demo(*, staff):
    """Every plan gets the three default drip messages (day 1, 3 and 7) to read and edit."""
    for plan in Plan.objects.all():
        install_default_drip(plan)
