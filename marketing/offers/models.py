"""Offers for a segment: a discount staff set, text the AI drafts and staff approve
(review kind `offer`); approval creates the Stripe coupon and promotion code. Redemptions
are read from Stripe's events in the webhook inbox."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from courseops.core.display import money
from marketing.models import Campaign, Lead, Segment, Step
from students.models import Student


class Offer(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        ACTIVE = "active", _("Activa (código en Stripe)")
        ENDED = "ended", _("Terminada")

    class Duration(models.TextChoices):
        ONCE = "once", _("Primer pago")
        REPEATING = "repeating", _("Varios meses")
        FOREVER = "forever", _("Siempre")

    name = models.CharField(_("nombre"), max_length=200)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segmento"), null=True, blank=True, on_delete=models.SET_NULL
    )
    percent_off = models.DecimalField(
        _("descuento (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_off = models.DecimalField(
        _("descuento (importe)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("moneda"), max_length=3, default="USD")
    duration = models.CharField(
        _("duración"), max_length=10, choices=Duration.choices, default=Duration.ONCE
    )
    duration_in_months = models.PositiveSmallIntegerField(_("meses"), null=True, blank=True)
    code = models.CharField(
        _("código"), max_length=40, unique=True, help_text=_("Lo que la persona escribe al pagar.")
    )
    max_redemptions = models.PositiveIntegerField(_("usos máximos"), null=True, blank=True)
    expires_at = models.DateTimeField(_("caduca"), null=True, blank=True)
    headline = models.CharField(_("titular aprobado"), max_length=200, blank=True)
    text = models.TextField(_("texto aprobado"), blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    stripe_coupon_id = models.CharField(_("cupón en Stripe"), max_length=100, blank=True)
    stripe_promotion_code_id = models.CharField(
        _("código promocional en Stripe"), max_length=100, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("oferta")
        verbose_name_plural = _("ofertas")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValidationError(_("Indica un porcentaje o un importe de descuento (uno solo)."))
        if self.percent_off is not None and not 0 < self.percent_off <= 100:
            raise ValidationError({"percent_off": _("Entre 0 y 100.")})
        if self.duration == self.Duration.REPEATING and not self.duration_in_months:
            raise ValidationError({"duration_in_months": _("Indica cuántos meses.")})

    def discount_label(self):
        amount = (
            f"{self.percent_off.normalize():f} %"
            if self.percent_off is not None
            else money(self.amount_off, self.currency)
        )
        if self.duration == self.Duration.REPEATING:
            return _("%(amount)s durante %(months)d meses") % {
                "amount": amount,
                "months": self.duration_in_months,
            }
        if self.duration == self.Duration.FOREVER:
            return _("%(amount)s en cada pago") % {"amount": amount}
        return _("%(amount)s en el primer pago") % {"amount": amount}


class OfferRedemption(models.Model):
    """One use of an offer's code, from the Stripe event that reported it."""

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="redemptions", verbose_name=_("oferta")
    )
    stripe_event_id = models.CharField(max_length=255, verbose_name=_("id del evento de Stripe"))
    # The subscription (or the session/invoice without one) the code was used for: its
    # checkout and its first invoice both report the discount, and count once.
    redeemed_by = models.CharField(max_length=255, verbose_name=_("canjeada por"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    student = models.ForeignKey(
        Student,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("estudiante"),
    )
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contacto"),
    )
    # What sent the buyer (the Checkout Session's metadata: a personal offer link from a
    # campaign or a sequence step, or a landing page promoting the offer).
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaña"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer_redemptions",
    )
    step = models.ForeignKey(
        Step,
        verbose_name=_("paso de secuencia"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer_redemptions",
    )
    landing_page = models.ForeignKey(
        "marketing.LandingPage",
        verbose_name=_("landing page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer_redemptions",
    )
    amount_discount = models.PositiveIntegerField(
        default=0, help_text="minor units", verbose_name=_("descuento")
    )
    currency = models.CharField(max_length=3, blank=True, verbose_name=_("moneda"))
    at = models.DateTimeField(verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("uso de oferta")
        verbose_name_plural = _("usos de ofertas")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "redeemed_by"], name="marketing_offer_redeemed_once"
            )
        ]

    def __str__(self):
        return f"{self.offer_id} {self.email}"


class InboxCursor(models.Model):
    """How far a scan of the webhook inbox got (the last event id read)."""

    name = models.CharField(max_length=50, unique=True, verbose_name=_("buzón"))
    position = models.BigIntegerField(default=0, verbose_name=_("posición leída"))

    class Meta:
        verbose_name = _("posición del buzón")
        verbose_name_plural = _("posiciones del buzón")

    def __str__(self):
        return f"{self.name}: {self.position}"
