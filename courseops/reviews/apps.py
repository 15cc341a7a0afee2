from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "courseops.reviews"
    label = "reviews"
    verbose_name = _("Revisión de borradores")

    def ready(self):
        from courseops.reviews import kinds  # noqa: F401  (registers demo_email)
        from courseops.reviews.permissions import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="reviews.kind_perms")
