from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from content.models import Lesson
from students.models import Student
from webinars.models import Webinar


class Survey(models.Model):
    """One question about one thing: a webinar, a lesson, or a point of the course (NPS)."""

    class Kind(models.TextChoices):
        WEBINAR = "webinar", _("Satisfacción con un webinar")
        LESSON = "lesson", _("Satisfacción con una lección")
        NPS_DAY_30 = "nps_day_30", _("NPS a los 30 días")
        NPS_COURSE_END = "nps_course_end", _("NPS al terminar el curso")

    SCALES = {Kind.WEBINAR: (1, 5), Kind.LESSON: (1, 5)}  # NPS: 0-10

    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    webinar = models.ForeignKey(
        Webinar,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
        verbose_name=_("webinar"),
    )
    lesson = models.ForeignKey(
        Lesson,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
        verbose_name=_("lección"),
    )
    # The staff summary of the comments (AI draft, approved in the review queue).
    summary = models.TextField(_("resumen de comentarios"), blank=True)
    summary_at = models.DateTimeField(_("resumen aprobado el"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))

    class Meta:
        verbose_name = _("encuesta")
        verbose_name_plural = _("encuestas")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "webinar"],
                condition=Q(webinar__isnull=False),
                name="surveys_one_per_webinar",
            ),
            models.UniqueConstraint(
                fields=["kind", "lesson"],
                condition=Q(lesson__isnull=False),
                name="surveys_one_per_lesson",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(webinar__isnull=True, lesson__isnull=True),
                name="surveys_one_per_life_point",
            ),
        ]

    def __str__(self):
        about = self.webinar or self.lesson
        return f"{self.get_kind_display()}: {about}" if about else self.get_kind_display()

    @property
    def scale(self):
        return self.SCALES.get(self.kind, (0, 10))

    @property
    def is_nps(self):
        return self.kind in (self.Kind.NPS_DAY_30, self.Kind.NPS_COURSE_END)


class Answer(models.Model):
    """One per person and survey: a second click changes the score, never adds a row."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="answers", verbose_name=_("encuesta")
    )
    # The person: their email (lower case), and the student when they are one.
    respondent = models.CharField(_("persona"), max_length=254)
    student = models.ForeignKey(
        Student,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_answers",
        verbose_name=_("estudiante"),
    )
    score = models.PositiveSmallIntegerField(_("puntuación"))
    comment = models.TextField(_("comentario"), blank=True)
    answered_at = models.DateTimeField(_("respondida"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("respuesta")
        verbose_name_plural = _("respuestas")
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent"], name="surveys_one_answer_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["survey", "answered_at"]),
            # A person's answers across surveys (export, erasure).
            models.Index(fields=["respondent"], name="surveys_answer_respondent"),
        ]

    def __str__(self):
        return f"{self.survey_id}: {self.score}"
