from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Satisfaction (1-5) after webinars and lessons, NPS (0-10) at set points of a
    student's life. Above webinars, content and engagement: it reads them (engagement's
    progress says when a course is finished) and listens to their signals; nothing
    below imports it."""

    name = "surveys"
    verbose_name = "Encuestas"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from courseops.reviews.registry import ReviewKind, register_kind
        from surveys import (
            signals,  # noqa: F401  (connects the receivers)
            student_page,
        )
        from surveys.summary import summary_apply

        student_page.register()

        register_kind(
            ReviewKind(
                name="survey_summary",
                label=_("Resumen de comentarios de una encuesta"),
                apply=summary_apply,
                html=True,
            )
        )
