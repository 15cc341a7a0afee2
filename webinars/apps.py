from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebinarsConfig(AppConfig):
    name = "webinars"
    label = "webinars"
    verbose_name = "Webinars"

    def ready(self):
        from courseops.messaging.hooks import register_send_check
        from courseops.reviews.automations import Automation, register_automation
        from courseops.reviews.registry import ReviewKind, register_kind
        from courseops.webhooks.registry import register_provider
        from webinars import signals  # noqa: F401  (connects the receivers)
        from webinars.automations import FOLLOWUPS, REMINDERS
        from webinars.portal import navigation
        from webinars.services.promotion import social_posts_apply
        from webinars.services.recordings import (
            followup_still_true,
            followups_reviewed,
            summary_apply,
            summary_still_true,
        )
        from webinars.services.reminders import (
            reminder_text_apply,
            reminder_text_still_true,
            reminder_texts_reviewed,
        )
        from webinars.services.video import video_apply

        register_automation(
            Automation(
                name=REMINDERS,
                label=_("Recordatorios de webinar"),
                kinds=["webinar_reminder"],
                reviewed=reminder_texts_reviewed,
            )
        )
        register_automation(
            Automation(
                name=FOLLOWUPS,
                label=_("Seguimiento tras el webinar"),
                kinds=["webinar_summary"],
                reviewed=followups_reviewed,
            )
        )
        register_kind(
            ReviewKind(
                name="webinar_reminder",
                label=_("Recordatorio de webinar (7 días)"),
                apply=reminder_text_apply,
                still_true=reminder_text_still_true,
                html=True,
            )
        )
        register_kind(
            ReviewKind(
                name="webinar_summary",
                label=_("Resumen ejecutivo de webinar"),
                apply=summary_apply,
                still_true=summary_still_true,
                html=True,
            )
        )
        register_kind(
            ReviewKind(
                name="social_post",
                label=_("Publicaciones en redes de un webinar"),
                apply=social_posts_apply,
            )
        )
        register_kind(
            ReviewKind(
                name="webinar_video",
                label=_("Título y descripción del vídeo de un webinar"),
                apply=video_apply,
            )
        )
        register_provider("zoom", "webinars.webhooks.ZoomProvider")
        register_provider("google_calendar", "webinars.webhooks.GoogleCalendarProvider")
        register_send_check(followup_still_true)
        navigation.register()
        from webinars import student_page

        student_page.register()
