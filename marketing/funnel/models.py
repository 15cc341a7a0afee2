"""What marketing spent (to compute cost per lead) and conversions reported by external
sites through the API."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Lead


class MarketingCost(models.Model):
    """Money spent on a source, a campaign (UTM) or a landing page on a day."""

    spent_on = models.DateField(_("fecha"))
    source = models.CharField(_("origen (utm_source)"), max_length=100, blank=True)
    campaign = models.CharField(_("campaña (utm_campaign)"), max_length=100, blank=True)
    landing = models.ForeignKey(
        "marketing.LandingPage",
        verbose_name=_("landing page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    amount = models.DecimalField(_("importe"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("moneda"), max_length=3, default="USD")
    note = models.CharField(_("nota"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gasto de marketing")
        verbose_name_plural = _("gastos de marketing")
        ordering = ["-spent_on"]

    def __str__(self):
        return f"{self.spent_on} {self.source or self.campaign} {self.amount} {self.currency}"


class ExternalEvent(models.Model):
    """A conversion an external site reported (`POST /api/v1/marketing/events/`); its
    `event_id` makes a repeated report a no-op."""

    class Type(models.TextChoices):
        LEAD = "lead", _("Contacto")
        CHECKOUT_STARTED = "checkout_started", _("Pago iniciado")
        WEBINAR_REGISTERED = "webinar_registered", _("Inscripción a webinar")

    event_id = models.CharField(max_length=200, verbose_name=_("id del evento"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("informado por"),
    )
    type = models.CharField(max_length=30, choices=Type.choices, verbose_name=_("tipo de evento"))
    lead = models.ForeignKey(
        Lead, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("contacto")
    )
    data = models.JSONField(default=dict, verbose_name=_("datos"))
    occurred_at = models.DateTimeField(verbose_name=_("ocurrió"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recibido"))

    class Meta:
        verbose_name = _("evento externo")
        verbose_name_plural = _("eventos externos")
        constraints = [
            models.UniqueConstraint(
                fields=["reported_by", "event_id"], name="marketing_external_event_once"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"
