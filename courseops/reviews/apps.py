from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "courseops.reviews"
    label = "reviews"
    verbose_name = _("Revisión de borradores")

    def ready(self):
        from courseops.messaging.hooks import (
            messages_withheld,
            register_rollout_check,
            register_send_check,
        )
        from courseops.reviews import kinds  # noqa: F401  (registers demo_email)
        from courseops.reviews.held import close_decided
        from courseops.reviews.permissions import on_post_migrate
        from courseops.reviews.rollout import outbox_holds
        from courseops.reviews.services import message_still_true

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="reviews.kind_perms")
        register_send_check(message_still_true)
        register_rollout_check(outbox_holds)
        messages_withheld.connect(close_decided, dispatch_uid="reviews.close_decided")
