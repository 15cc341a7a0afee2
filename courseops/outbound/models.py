"""Outbound webhooks: endpoints (who listens to which events), events (what happened,
stored once) and deliveries (one per event and endpoint: the record of the work, with its
attempts). Signed with the Standard Webhooks scheme (services/signing.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.operations.fields import EncryptedCharField


class Endpoint(models.Model):
    """A URL that receives the events it subscribes to (a REST Hooks subscription when it
    was created through the API, as Zapier and n8n do)."""

    class Origin(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API (suscripción REST Hooks)")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("descripción"), max_length=200, blank=True)
    events = models.JSONField(_("eventos"), default=list)
    origin = models.CharField(_("origen"), max_length=8, choices=Origin.choices)
    # Encrypted at rest; shown once when created or rotated, never in a list or a form.
    secret = EncryptedCharField(_("secreto"))
    # Still signed with during ROTATION_OVERLAP after a rotation, so a receiver can switch.
    previous_secret = EncryptedCharField(_("secreto anterior"), blank=True)
    previous_secret_until = models.DateTimeField(
        _("secreto anterior válido hasta"), null=True, blank=True
    )
    is_active = models.BooleanField(_("activo"), default=True)
    # First failure since the last success: failing for a day disables the endpoint.
    failing_since = models.DateTimeField(_("fallando desde"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("desactivado el"), null=True, blank=True)
    disabled_reason = models.CharField(_("motivo de la desactivación"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creado"), default=timezone.now)

    class Meta:
        verbose_name = _("destino de webhooks")
        verbose_name_plural = _("destinos de webhooks")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.description or self.url


class Event(models.Model):
    """One thing that happened, announced once; its id is the `webhook-id` of every
    request that carries it (retries and replays included), so receivers can dedupe."""

    event_id = models.CharField(_("id del evento"), max_length=40, unique=True)
    event_type = models.CharField(_("tipo de evento"), max_length=60)
    payload = models.JSONField(_("contenido"))
    # Keyed hash of the person the event is about ("" if none): an erasure drops what
    # is still pending for them (courseops.outbound.privacy).
    person_index = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)

    class Meta:
        verbose_name = _("evento saliente")
        verbose_name_plural = _("eventos salientes")

    def __str__(self):
        return f"{self.event_type} {self.event_id}"


class Delivery(models.Model):
    """One event to one endpoint. queued -> sending -> delivered | retrying | failed, or
    dropped (the person was erased). A sender claims the row (its holder: core.liveness);
    a sweeper takes over rows whose holder is gone and hands out the due ones."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En cola")
        SENDING = "sending", _("Enviando")
        RETRYING = "retrying", _("Reintento pendiente")
        DELIVERED = "delivered", _("Entregado")
        FAILED = "failed", _("Fallido")
        DROPPED = "dropped", _("Descartado")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("tomado por un worker"), null=True, blank=True)
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    takeovers = models.PositiveSmallIntegerField(_("retomado"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("último código"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    delivered_at = models.DateTimeField(_("entregado el"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), default=timezone.now)

    class Meta:
        verbose_name = _("entrega de webhook")
        verbose_name_plural = _("entregas de webhooks")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="outbound_delivery_once_per_endpoint"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="outbound_delivery_created"),
            # The sweeper only looks at unfinished rows.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending", "retrying"]),
                name="outbound_delivery_pending",
            ),
        ]

    def __str__(self):
        return f"{self.event} -> {self.endpoint_id}"


class DeliveryAttempt(models.Model):
    """One request: what the endpoint answered and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    started_at = models.DateTimeField(_("enviado"))
    status_code = models.PositiveSmallIntegerField(_("código"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("tiempo de respuesta (ms)"))
    error = models.TextField(_("error"), blank=True)
    response_excerpt = models.CharField(_("respuesta"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("intento de entrega")
        verbose_name_plural = _("intentos de entrega")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
