from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DraftStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    APPROVED = "approved", _("Aprobado")
    REJECTED = "rejected", _("Rechazado")
    APPLIED = "applied", _("Aplicado")
    FAILED = "failed", _("Fallido")
    # No longer true about its person (they came back, the webinar moved): never sent.
    WITHDRAWN = "withdrawn", _("Retirado: ya no es cierto")


# A draft's text may change only before its action has run (or after it failed, to fix it).
EDITABLE_STATUSES = (DraftStatus.PENDING, DraftStatus.FAILED)


class Draft(models.Model):
    """Something an AI (or a template) wrote that waits for a person's decision.

    `generated_*` keep what was produced, untouched; `subject`, `body` and `data` are the
    current version, which staff may edit before approving and which the action uses.
    """

    kind = models.CharField(_("tipo"), max_length=64)
    status = models.CharField(
        _("estado"), max_length=16, choices=DraftStatus.choices, default=DraftStatus.PENDING
    )

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("tipo de objeto"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_id = models.CharField(_("id del objeto"), max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    # Shown in the queue without loading every target (one query per content type).
    target_repr = models.CharField(_("sobre"), max_length=200, blank=True)
    recipient = models.EmailField(_("destinatario"), blank=True)

    generated_subject = models.CharField(_("asunto generado"), max_length=300, blank=True)
    generated_body = models.TextField(_("cuerpo generado"), blank=True)
    generated_data = models.JSONField(
        _("datos generados"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    subject = models.CharField(_("asunto"), max_length=300, blank=True)
    body = models.TextField(_("cuerpo"), blank=True)
    data = models.JSONField(_("datos"), null=True, blank=True, encoder=DjangoJSONEncoder)
    context = models.JSONField(
        _("contexto dado a la IA"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    ai_usage = models.ForeignKey(
        "ai.AIUsage",
        verbose_name=_("uso de IA"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drafts",
    )
    offline = models.BooleanField(
        _("sin conexión"),
        default=False,
        help_text=_("Redactado por el proveedor sin conexión (plantillas), no por un modelo."),
    )

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidido por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decidido el"), null=True, blank=True)
    decision_note = models.TextField(_("nota de la decisión"), blank=True)
    decided_automatically = models.BooleanField(_("aprobado automáticamente"), default=False)
    applied_at = models.DateTimeField(_("aplicado el"), null=True, blank=True)
    apply_attempts = models.PositiveIntegerField(_("intentos de aplicación"), default=0)
    last_error = models.TextField(_("último error"), blank=True)
    # The process applying it (courseops.core.liveness) and when its apply task was last
    # enqueued: a dead holder's draft is taken over at once, a lost task's after a minute.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    dispatched_at = models.DateTimeField(_("enviado a aplicar el"), null=True, blank=True)

    created_at = models.DateTimeField(_("creado el"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado el"), auto_now=True)

    class Meta:
        verbose_name = _("borrador")
        verbose_name_plural = _("borradores")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status", "-created_at"], name="reviews_draft_queue_idx"),
            models.Index(
                fields=["kind", "created_at"],
                condition=Q(status="pending"),
                name="reviews_draft_pending_idx",
            ),
            models.Index(fields=["content_type", "object_id"], name="reviews_draft_target_idx"),
            models.Index(
                fields=["dispatched_at"],
                condition=Q(status="approved"),
                name="reviews_draft_approved_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DraftStatus.values), name="reviews_draft_status_valid"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject or self.kind}"[:200]

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES


class PolicyMode(models.TextChoices):
    REVIEW = "review", _("Revisión por el equipo")
    AUTO = "auto", _("Automático (sin revisión)")


class ReviewPolicy(models.Model):
    """Per kind: do drafts wait for staff (`review`, the default) or go out on their own."""

    kind = models.CharField(_("tipo"), max_length=64, unique=True)
    mode = models.CharField(
        _("modo"), max_length=16, choices=PolicyMode.choices, default=PolicyMode.REVIEW
    )
    updated_at = models.DateTimeField(_("actualizado el"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actualizado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("política de revisión")
        verbose_name_plural = _("políticas de revisión")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=PolicyMode.values), name="reviews_policy_mode_valid"
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.get_mode_display()}"
