from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` an API caller sent with a POST, and the answer it got.

    Scoped to the caller (`scope`: its token, else its user), bound to a fingerprint of the
    request (method, path, body) and kept `API_IDEMPOTENCY_TTL_HOURS`. While the first
    request runs, `status_code` is empty and `locked_at` says since when.
    """

    scope = models.CharField(max_length=100, verbose_name=_("ámbito"))
    key = models.CharField(max_length=255, verbose_name=_("clave de idempotencia"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("huella de la petición"))
    method = models.CharField(max_length=10, verbose_name=_("método HTTP"))
    path = models.CharField(max_length=500, verbose_name=_("ruta"))
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("código de respuesta")
    )
    content_type = models.CharField(max_length=100, blank=True, verbose_name=_("tipo de contenido"))
    body = models.BinaryField(default=bytes, verbose_name=_("respuesta guardada"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("creada"))
    locked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("bloqueada desde"))

    class Meta:
        verbose_name = _("clave de idempotencia")
        verbose_name_plural = _("claves de idempotencia")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key")
        ]

    def __str__(self):
        return f"{self.scope} {self.key}"


class Holder(models.Model):
    """A process that may hold claimed work (a worker, or any process claiming a row),
    with its last heartbeat. See courseops.core.liveness."""

    name = models.CharField(_("proceso"), max_length=150, primary_key=True)  # host:pid
    started_at = models.DateTimeField(_("inicio"))
    last_seen = models.DateTimeField(_("último latido"), db_index=True)

    class Meta:
        verbose_name = _("proceso con trabajo")
        verbose_name_plural = _("procesos con trabajo")

    def __str__(self):
        return self.name
