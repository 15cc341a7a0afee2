"""Segments synced to ad platforms' custom audiences (Meta): only contacts with a valid
marketing consent, sent as SHA-256 hashes of their normalised email and phone, in deltas;
the members we sent are kept so that the next sync knows what to add and remove."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from marketing.models import Lead, Segment


class AdAudience(models.Model):
    class Provider(models.TextChoices):
        CONSOLE = "console", _("Consola (no envía; para pruebas)")
        META = "meta", _("Meta (público personalizado)")

    name = models.CharField(_("nombre"), max_length=200)
    segment = models.ForeignKey(Segment, verbose_name=_("segmento"), on_delete=models.PROTECT)
    provider = models.CharField(
        _("plataforma"), max_length=10, choices=Provider.choices, default=Provider.CONSOLE
    )
    external_id = models.CharField(
        _("id en la plataforma"), max_length=100, blank=True, help_text=_("Se crea al sincronizar.")
    )
    active = models.BooleanField(_("activo"), default=True)
    last_synced_at = models.DateTimeField(_("última sincronización"), null=True, blank=True)

    class Meta:
        verbose_name = _("público de anuncios")
        verbose_name_plural = _("públicos de anuncios")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AudienceMember(models.Model):
    """A contact the platform has in the audience (as of our last successful sync)."""

    audience = models.ForeignKey(
        AdAudience, on_delete=models.CASCADE, related_name="members", verbose_name=_("audiencia")
    )
    lead = models.ForeignKey(
        Lead, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("contacto")
    )
    email_hash = models.CharField(max_length=64, verbose_name=_("huella del email"))
    phone_hash = models.CharField(max_length=64, blank=True, verbose_name=_("huella del teléfono"))
    added_at = models.DateTimeField(verbose_name=_("añadido"))

    class Meta:
        verbose_name = _("miembro de audiencia")
        verbose_name_plural = _("miembros de audiencia")
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "email_hash"], name="marketing_audience_member_once"
            )
        ]

    def __str__(self):
        return f"{self.audience_id} {self.email_hash[:12]}"


class AudienceSync(models.Model):
    """The sync log staff read: what was added and removed, or why it failed."""

    class Status(models.TextChoices):
        OK = "ok", _("Correcta")
        FAILED = "failed", _("Fallida")

    class Reason(models.TextChoices):
        SYNC = "sync", _("Sincronización del segmento")
        ERASURE = "erasure", _("Borrado de una persona (RGPD)")

    audience = models.ForeignKey(
        AdAudience, on_delete=models.CASCADE, related_name="syncs", verbose_name=_("audiencia")
    )
    # An erasure's row says only that one person was removed: no hash, no lead.
    reason = models.CharField(
        _("motivo"), max_length=10, choices=Reason.choices, default=Reason.SYNC
    )
    started_at = models.DateTimeField(_("inicio"))
    finished_at = models.DateTimeField(_("fin"), null=True)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices)
    added = models.PositiveIntegerField(_("añadidos"), default=0)
    removed = models.PositiveIntegerField(_("quitados"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sincronización de público")
        verbose_name_plural = _("sincronizaciones de públicos")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.audience_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
