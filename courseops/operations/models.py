from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    """One stretch of time during which an alert check saw a problem.

    At most one incident per check and key is open (a partial unique constraint), so two
    evaluations racing each other cannot raise the same alert twice. The `*_notified_at`
    columns are claimed before each Slack post so a retried task never posts twice.
    """

    check_name = models.CharField(_("comprobación"), max_length=64)
    key = models.CharField(_("clave"), max_length=200, blank=True)
    title = models.CharField(_("alerta"), max_length=255)
    detail = models.TextField(_("detalle"), blank=True)
    opened_at = models.DateTimeField(_("abierta"))
    last_seen_at = models.DateTimeField(_("vista por última vez"))
    resolved_at = models.DateTimeField(_("resuelta"), null=True, blank=True)
    slack_opened_at = models.DateTimeField(_("aviso a Slack"), null=True, blank=True)
    slack_resolved_at = models.DateTimeField(_("resolución a Slack"), null=True, blank=True)

    class Meta:
        verbose_name = _("incidencia")
        verbose_name_plural = _("incidencias")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_name", "key"],
                condition=Q(resolved_at__isnull=True),
                name="operations_one_open_incident_per_check_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["check_name"],
                condition=Q(resolved_at__isnull=True),
                name="operations_incident_open",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.resolved_at is None
