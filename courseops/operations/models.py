from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courseops.core.models import MarkedModel


class Severity(models.TextChoices):
    """How soon a person must look: the order the dashboard lists open incidents in."""

    CRITICAL = "critical", _("Crítica")
    WARNING = "warning", _("Aviso")
    INFO = "info", _("Información")


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Incident(MarkedModel):
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
    severity = models.CharField(
        _("gravedad"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    acknowledged_at = models.DateTimeField(_("reconocida el"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reconocida por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snoozed_until = models.DateTimeField(_("pospuesta hasta"), null=True, blank=True)
    # Its notice (the alert, or the resolution) is owed since then; found by the sweeper
    # if the task enqueued then was lost (courseops.core.pending).
    notify_due_since = models.DateTimeField(
        _("aviso por enviar desde"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("incidencia")
        verbose_name_plural = _("incidencias")
        ordering = ["-opened_at", "-id"]
        permissions = [("acknowledge_incident", _("Puede reconocer y posponer incidencias"))]
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
            ),
            models.Index(
                fields=["notify_due_since"],
                condition=Q(notify_due_since__isnull=False),
                name="incident_notify_due",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.resolved_at is None

    def is_snoozed(self, now):
        return self.snoozed_until is not None and self.snoozed_until > now


class ApiToken(models.Model):
    """An API key for one integration, limited to some apps and to reading or writing.

    Only a SHA-256 of the key is stored: it is shown once, when issued. The integration acts
    as `user` (its permissions still apply) and only where `scopes` allow:
    `<app label>:read`, `<app label>:write` (implies read) or `*` for everything.
    """

    name = models.CharField(_("nombre"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    scopes = models.JSONField(_("alcances"), default=list)
    prefix = models.CharField(_("prefijo"), max_length=12, editable=False)
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("huella de la clave")
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    expires_at = models.DateTimeField(_("caduca"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Erasure(models.Model):
    """Proof that a person was erased, holding nothing that identifies them: the email's
    keyed hash (so a later request for the same address can be matched), when, who, and
    how many rows of each table were anonymised."""

    email_hash = models.CharField(_("hash del correo"), max_length=64, db_index=True)
    erased_at = models.DateTimeField(_("borrado el"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borrado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    touched = models.JSONField(_("filas anonimizadas por tabla"), default=dict)
    external = models.JSONField(_("servicios externos"), default=dict)
    # What a scan of every text and JSON column still found after erasing, per table.
    traces = models.JSONField(_("rastros tras borrar (filas por tabla)"), default=dict)

    class Meta:
        verbose_name = _("borrado de datos personales")
        verbose_name_plural = _("borrados de datos personales")
        ordering = ["-erased_at"]

    def __str__(self):
        return f"{self.email_hash[:12]}… {self.erased_at:%Y-%m-%d %H:%M}"


class KpiTarget(models.Model):
    """A target staff set for one dashboard KPI (its key in the KPI registry)."""

    key = models.CharField(_("indicador"), max_length=100, unique=True)
    target = models.FloatField(_("objetivo"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actualizado por"),
    )
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("objetivo de KPI")
        verbose_name_plural = _("objetivos de KPI")
        ordering = ["key"]

    def __str__(self):
        return f"{self.key}: {self.target}"
