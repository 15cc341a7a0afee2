"""The student page's lessons: each lesson of the student's plan, seen, finished, quiz."""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from content.models import Lesson, LessonProgress, QuizAttempt
from students.student_page import Section, register_section, when

# A plan's curriculum is shown whole up to this many lessons (one query either way).
LESSONS = 100


def _lessons(student):
    progress = LessonProgress.objects.filter(lesson=OuterRef("pk"), student=student)
    best = QuizAttempt.objects.filter(lesson=OuterRef("pk"), student=student).order_by(
        "-score", "-created_at"
    )
    lessons = (
        Lesson.objects.filter(course__plans=student.plan_id, published_at__isnull=False)
        .select_related("course")
        .annotate(
            viewed_at=Subquery(progress.values("first_viewed_at")[:1]),
            done_at=Subquery(progress.values("completed_at")[:1]),
            quiz_score=Subquery(best.values("score")[:1]),
            quiz_max=Subquery(best.values("max_score")[:1]),
        )
        .order_by("course__title", "order", "pk")[:LESSONS]
    )
    rows = []
    for lesson in lessons:
        if lesson.done_at:
            state = _("Terminada")
        elif lesson.viewed_at:
            state = _("Empezada")
        else:
            state = _("Sin empezar")
        quiz = f"{lesson.quiz_score}/{lesson.quiz_max}" if lesson.quiz_max else "—"
        rows.append(
            [
                f"{lesson.course.title} · {lesson.order}. {lesson.title}",
                state,
                when(lesson.viewed_at),
                when(lesson.done_at),
                quiz,
            ]
        )
    return Section(
        title=_("Progreso por lección"),
        headers=[_("Lección"), _("Estado"), _("Vista"), _("Terminada"), _("Mejor cuestionario")],
        rows=rows,
        empty=_("Su plan no tiene lecciones publicadas."),
    )


def register():
    register_section(30, _lessons)
