"""The student page's surveys: what the student answered, with the score and comment."""

from django.utils.translation import gettext as _

from students.student_page import ROWS, Section, register_section, when
from surveys.models import Answer


def _surveys(student):
    answers = (
        Answer.objects.filter(student=student)
        .select_related("survey__webinar", "survey__lesson")
        .order_by("-answered_at")[:ROWS]
    )
    rows = []
    for a in answers:
        about = a.survey.webinar or a.survey.lesson
        label = a.survey.get_kind_display() + (f" · {about.title}" if about else "")
        rows.append([label, a.score, a.comment or "—", when(a.answered_at)])
    return Section(
        title=_("Encuestas"),
        headers=[_("Encuesta"), _("Puntuación"), _("Comentario"), _("Respondida")],
        rows=rows,
        empty=_("No ha respondido ninguna encuesta."),
    )


def register():
    register_section(100, _surveys)
