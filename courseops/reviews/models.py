from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # Drafted while its automation ran in shadow: shown to staff, never applied.
    SHADOW = "shadow", _("En sombra: no se envía")


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

    # The automation that drafted it, the person it is for (the outbox's person key) and
    # the rollout arm it fell in (courseops.reviews.rollout): what the rates per arm count.
    automation = models.CharField(_("automatización"), max_length=64, blank=True)
    person_key = models.CharField(_("persona"), max_length=260, blank=True)
    arm = models.CharField(_("grupo del despliegue"), max_length=16, blank=True)

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
            # Erasure finds a person's drafts by it (courseops/operations/privacy).
            models.Index(fields=["person_key"], name="reviews_draft_person_idx"),
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
    # In the order a rollout goes through them.
    SHADOW = "shadow", _("En sombra (se redacta, no se envía)")
    REVIEW = "review", _("Revisión por el equipo")
    PERCENT = "percent", _("Automático para un porcentaje de personas")
    AUTO = "auto", _("Automático (sin revisión)")


class Arm(models.TextChoices):
    """What one person's case gets under a policy (courseops.reviews.rollout)."""

    SHADOW = "shadow", _("En sombra")
    REVIEW = "review", _("Revisión")
    AUTO = "auto", _("Automático")


class StagedPolicy(models.Model):
    """A rollout stage: a standing mode, optionally a shadow period in front of it.

    During [`shadow_from`, `shadow_until`) the policy is in shadow whatever its mode; after
    `shadow_until` its mode applies again. `percent` is the share of people (by a stable
    hash of person and policy) whose cases go out automatically in `percent` mode.
    """

    percent = models.PositiveSmallIntegerField(
        _("porcentaje automático"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("En el modo por porcentaje: qué parte de las personas va en automático."),
    )
    shadow_from = models.DateTimeField(
        _("en sombra desde"),
        null=True,
        blank=True,
        help_text=_("Vacío con un final: desde ahora."),
    )
    shadow_until = models.DateTimeField(
        _("en sombra hasta"),
        null=True,
        blank=True,
        help_text=_("Al terminar el periodo vuelve al modo elegido."),
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
        abstract = True

    def in_shadow_period(self, now):
        if self.shadow_until is None:
            return False
        return (self.shadow_from is None or self.shadow_from <= now) and now < self.shadow_until


class ReviewPolicy(StagedPolicy):
    """Per kind of draft: shadow, review (the default), automatic for some, or automatic."""

    kind = models.CharField(_("tipo"), max_length=64, unique=True)
    mode = models.CharField(
        _("modo"), max_length=16, choices=PolicyMode.choices, default=PolicyMode.REVIEW
    )

    class Meta:
        verbose_name = _("política de revisión")
        verbose_name_plural = _("políticas de revisión")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=PolicyMode.values), name="reviews_policy_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="reviews_policy_percent_valid"
            ),
        ]

    def __str__(self):
        return f"{self.kind}: {self.get_mode_display()}"


class AutomationPolicy(StagedPolicy):
    """Per automation (onboarding, reminders...): where its rollout stands. Automatic by
    default, as automations ran before rollouts existed; its drafts also follow their
    kind's review policy, and the more careful of the two wins."""

    automation = models.CharField(_("automatización"), max_length=64, unique=True)
    mode = models.CharField(
        _("modo"), max_length=16, choices=PolicyMode.choices, default=PolicyMode.AUTO
    )

    class Meta:
        verbose_name = _("despliegue de una automatización")
        verbose_name_plural = _("despliegue de las automatizaciones")
        ordering = ["automation"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=PolicyMode.values), name="reviews_automation_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="reviews_automation_percent_valid"
            ),
        ]

    def __str__(self):
        return f"{self.automation}: {self.get_mode_display()}"
