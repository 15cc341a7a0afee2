"""Conversions for Google Analytics 4, as rows: one per conversion (unique on event and
our reference), sent once by the Measurement Protocol, only for people who accepted
measurement."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Lead


class Conversion(models.Model):
    class Event(models.TextChoices):
        LEAD = "generate_lead", _("Nuevo contacto")
        CHECKOUT = "begin_checkout", _("Pago iniciado")
        PURCHASE = "purchase", _("Pago")

    class State(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        SENDING = "sending", _("Enviando")
        SENT = "sent", _("Enviada")
        UNCERTAIN = "uncertain", _("Sin confirmar (no se reenvía)")
        FAILED = "failed", _("Fallida")
        DROPPED = "dropped", _("Descartada")

    lead = models.ForeignKey(
        Lead,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contacto"),
    )
    event = models.CharField(_("evento"), max_length=20, choices=Event.choices)
    # What makes it one conversion: the lead, the Checkout Session, the subscription.
    ref = models.CharField(_("referencia"), max_length=200)
    client_id = models.CharField(_("id de cliente"), max_length=100)
    params = models.JSONField(_("parámetros"), default=dict, blank=True)
    state = models.CharField(
        _("estado"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    held_by = models.CharField(_("en manos de"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("cuándo"))
    sent_at = models.DateTimeField(_("enviada"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("conversión de Google Analytics")
        verbose_name_plural = _("conversiones de Google Analytics")
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "ref"], name="marketing_ga4_conversion_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="marketing_ga4_conversion_due",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self):
        return f"{self.event} {self.ref}"
