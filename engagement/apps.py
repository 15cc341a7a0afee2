from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    label = "engagement"
    verbose_name = _("Participación")

    def ready(self):
        from courseops.support.kinds import register_ticket_kind
        from courseops.webhooks.registry import register_provider
        from engagement import portal_navigation, review_kinds, signals  # noqa: F401
        from engagement.defaults import on_post_migrate

        # Also after a test's flush, which empties the rows the data migration created.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="engagement.rules")

        review_kinds.register()
        register_ticket_kind("faq_handover", _("Pregunta pasada al equipo"))
        register_ticket_kind("at_risk_call", _("Llamada a un estudiante en riesgo"))
        portal_navigation.register()
        from engagement import student_page

        student_page.register()
        register_provider("thinkific", "engagement.thinkific.ThinkificProvider")
        register_provider("teachable", "engagement.teachable.TeachableProvider")
