"""What HubSpot should hold, as rows: one per contact (by email) and one per deal (by
Stripe subscription id). A change marks the row pending; a worker claims it, reads the
current state and upserts it by that unique key, so a retry or a second worker can only
write the same record again, never a second one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HubSpotSync(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contacto")
        DEAL = "deal", _("Negocio (suscripción)")
        FORGET = "forget", _("Borrado RGPD")

    class State(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        SENDING = "sending", _("Enviando")
        SYNCED = "synced", _("Sincronizado")
        SKIPPED = "skipped", _("Nada que enviar")
        FAILED = "failed", _("Fallido")

    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    # Contact: the lowercased email; deal: the Stripe subscription id; forget: HubSpot's
    # contact id (the email is gone by the time a failed erasure is retried).
    ref = models.CharField(_("referencia"), max_length=254)
    hubspot_id = models.CharField(_("id en HubSpot"), max_length=40, blank=True)
    state = models.CharField(
        _("estado"), max_length=10, choices=State.choices, default=State.PENDING
    )
    changed_at = models.DateTimeField(_("último cambio"))
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    held_by = models.CharField(_("en manos de"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("tomado"), null=True, blank=True)
    synced_at = models.DateTimeField(_("sincronizado"), null=True, blank=True)
    basis = models.CharField(
        _("base legal"),
        max_length=60,
        blank=True,
        help_text=_("Con qué base legal se enviaron los datos del contacto la última vez."),
    )
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("sincronización con HubSpot")
        verbose_name_plural = _("sincronizaciones con HubSpot")
        ordering = ["-changed_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref"], name="marketing_hubspot_sync_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="marketing_hubspot_sync_due",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}"
