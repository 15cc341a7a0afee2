"""Demo: answers to the finished demo webinar's survey, to a published lesson's and to the
day-30 NPS, and a comments summary waiting in the review queue."""

from content.models import Lesson
from courseops.core.demo import register
from courseops.reviews.models import Draft
from surveys.models import Survey
from surveys.services import record_answer, survey_for
from surveys.summary import draft_summary
from webinars.models import Webinar

WEBINAR_ANSWERS = [
    ("demo1@example.com", 5, "Los ejemplos con agentes, muy claros."),
    ("demo2@example.com", 4, "Buen ritmo; el audio falló un momento."),
    ("demo3@example.com", 3, "Me faltó tiempo para preguntas."),
]
LESSON_ANSWERS = [
    ("demo1@example.com", 5, "El PDF de repaso me ahorra volver al vídeo."),
    ("demo2@example.com", 4, ""),
]
NPS_ANSWERS = [("demo1@example.com", 10), ("demo2@example.com", 8), ("demo4@example.com", 5)]


@register
def load_surveys_demo(*, staff):
    past = Webinar.objects.filter(status=Webinar.Status.FINISHED).order_by("-starts_at").first()
    if past is not None:
        survey = survey_for(Survey.Kind.WEBINAR, webinar=past)
        for email, score, comment in WEBINAR_ANSWERS:
            record_answer(survey=survey, respondent=email, score=score, comment=comment)
        if not Draft.objects.filter(kind="survey_summary", object_id=str(survey.pk)).exists():
            draft_summary(survey, user=staff)
    lesson = Lesson.objects.filter(published_at__isnull=False).order_by("-published_at").first()
    if lesson is not None:
        survey = survey_for(Survey.Kind.LESSON, lesson=lesson)
        for email, score, comment in LESSON_ANSWERS:
            record_answer(survey=survey, respondent=email, score=score, comment=comment)
    nps_survey = survey_for(Survey.Kind.NPS_DAY_30)
    for email, score in NPS_ANSWERS:
        record_answer(survey=nps_survey, respondent=email, score=score)
