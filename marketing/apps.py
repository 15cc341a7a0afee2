from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    label = "marketing"
    verbose_name = "Marketing"

    def ready(self):
        from courseops.messaging.hooks import register_consent_check, register_person_lookup
        from courseops.reviews.automations import Automation, register_automation
        from courseops.reviews.registry import ReviewKind, register_kind
        from marketing import (
            signals,  # noqa: F401  (connects the receivers)
            student_page,
        )
        from marketing.automations import CAMPAIGNS
        from marketing.directory import marketing_consent, person_for
        from marketing.funnel.insights import insights_apply
        from marketing.landing.copy import landing_copy_apply
        from marketing.offers.services import offer_apply
        from marketing.services.content import newsletter_apply
        from marketing.services.sequences import sequence_step_apply

        student_page.register()
        register_person_lookup(person_for)
        register_consent_check(marketing_consent)
        register_automation(
            Automation(name=CAMPAIGNS, label=_("Campañas de correo"), kinds=["newsletter"])
        )
        register_kind(
            ReviewKind(
                name="newsletter",
                label=_("Newsletter (variante de campaña)"),
                apply=newsletter_apply,
                html=True,
            )
        )
        register_kind(
            ReviewKind(
                name="sequence_email",
                label=_("Plantilla de paso de secuencia"),
                apply=sequence_step_apply,
                html=True,
            )
        )
        register_kind(
            ReviewKind(
                name="landing_page", label=_("Texto de landing page"), apply=landing_copy_apply
            )
        )
        register_kind(ReviewKind(name="offer", label=_("Oferta"), apply=offer_apply))
        register_kind(
            ReviewKind(
                name="marketing_insights",
                label=_("Resumen semanal de marketing"),
                apply=insights_apply,
            )
        )
