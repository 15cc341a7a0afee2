from django.db import models
from django.utils.translation import gettext_lazy as _


class BlogPost(models.Model):
    """A lesson's draft post on the WordPress blog: one per lesson, updated when the
    lesson's approved summary changes. `state` says whether a request to WordPress may be
    under way (`sending`): a later attempt then looks the post up before creating one."""

    class State(models.TextChoices):
        PENDING = "pending", _("pendiente")
        SENDING = "sending", _("enviándose")
        SYNCED = "synced", _("en el blog")
        FAILED = "failed", _("fallida")

    lesson = models.OneToOneField(
        "content.Lesson",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("lección"),
    )
    state = models.CharField(
        _("estado"), max_length=16, choices=State.choices, default=State.PENDING
    )
    wordpress_id = models.PositiveBigIntegerField(_("id en WordPress"), null=True, blank=True)
    link = models.URLField(_("dirección en el blog"), max_length=500, blank=True)
    synced_draft = models.PositiveBigIntegerField(
        _("resumen enviado (borrador)"), null=True, blank=True
    )
    # Set while a create may have reached WordPress without us hearing back: the next
    # attempt looks the post up by its slug before creating another.
    check_before_create = models.BooleanField(
        _("buscar antes de crear"), default=False, editable=False
    )
    # The worker process sending it (courseops.core.liveness): a row whose holder is gone
    # is taken again at once.
    held_by = models.CharField(_("en manos de"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    last_error = models.TextField(_("último error"), blank=True)
    synced_at = models.DateTimeField(_("enviada el"), null=True, blank=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("entrada del blog")
        indexes = [models.Index(fields=["state", "updated_at"])]
        verbose_name_plural = _("entradas del blog")

    def __str__(self):
        return f"{self.lesson_id} → {self.wordpress_id or '-'}"
