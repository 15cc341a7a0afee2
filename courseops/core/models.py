import functools

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The columns by which a row records work it owes (courseops/core/pending.py).
MARK_SUFFIXES = ("_due_since", "_stale_since")


def attempts_field(field):
    """The failures counter of a mark: `plan_grant_due_since` -> `plan_grant_due_attempts`."""
    return field.removesuffix("_since") + "_attempts"


@functools.cache
def mark_fields(model):
    """A model's marks and their failure counters: the columns only their work writes."""
    names = {field.name for field in model._meta.concrete_fields}
    marks = {name for name in names if name.endswith(MARK_SUFFIXES)}
    return frozenset(marks | ({attempts_field(mark) for mark in marks} & names))


class MarkedModel(models.Model):
    """A row that records work it owes in marks (courseops/core/pending.py).

    A mark is written by the change that makes the work due and cleared by the work, each
    with a conditional UPDATE. A plain `save()` of an instance loaded before either (staff
    saving the admin form, a task saving another field) would write back the mark it read,
    clearing a new mark, so the work would never run. Here a `save()` without
    `update_fields` writes every column but the marks and their counters (and any deferred
    ones); a new row is inserted whole.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if (
            kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and not self._state.adding
        ):
            skip = mark_fields(type(self)) | self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in skip
            ]
        super().save(*args, **kwargs)


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
