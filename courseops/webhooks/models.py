from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One delivery from a vendor, stored once whatever the vendor retries.

    The row is the record of the work, not the broker: `status` and `next_attempt_at` say
    what is left to do, and the sweeper re-enqueues whatever a lost task left behind.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibido")
        PROCESSING = "processing", _("Procesando")
        RETRYING = "retrying", _("Reintento pendiente")
        PROCESSED = "processed", _("Procesado")
        IGNORED = "ignored", _("Ignorado (sin manejador)")
        FAILED = "failed", _("Fallido")

    provider = models.CharField(_("proveedor"), max_length=32)
    event_id = models.CharField(_("id del evento"), max_length=255)
    event_type = models.CharField(_("tipo de evento"), max_length=100)
    status = models.CharField(
        _("estado"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    body = models.TextField(_("cuerpo recibido"))
    payload = models.JSONField(_("contenido"), default=dict)
    headers = models.JSONField(_("cabeceras"), default=dict)
    received_at = models.DateTimeField(_("recibido"), default=timezone.now)
    claimed_at = models.DateTimeField(_("tomado por un worker"), null=True, blank=True)
    # The process handling it (courseops.core.liveness): a dead one's event is retried at once.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    processed_at = models.DateTimeField(_("procesado"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("evento de webhook")
        verbose_name_plural = _("eventos de webhook")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="webhooks_event_unique_per_provider"
            ),
        ]
        indexes = [
            models.Index(fields=["-received_at"], name="webhooks_event_received"),
            # The sweeper only ever looks at unfinished rows: keep its index small.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["received", "retrying", "processing"]),
                name="webhooks_event_pending",
            ),
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"


# Waiting for a worker or being handled: few at any time (the sweeper's index holds them).
IN_FLIGHT = (
    WebhookEvent.Status.RECEIVED,
    WebhookEvent.Status.RETRYING,
    WebhookEvent.Status.PROCESSING,
)
# Handled one way or another, where an event stays. The full-text indexes (an erasure's
# search) hold only these, so the acknowledgement's INSERT computes no tsvector over the
# body, its payload and headers (operations 0011); only the worker's record of the outcome
# does. Moving a status changes the indexes' predicate, which needs a migration.
AT_REST = (
    WebhookEvent.Status.PROCESSED,
    WebhookEvent.Status.IGNORED,
    WebhookEvent.Status.FAILED,
)
