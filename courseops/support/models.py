from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Ticket(models.Model):
    """A follow-up a person on staff must do: a welcome call, an FAQ handed over, a student
    at risk to call. Raised by automations or by staff, whatever it is about."""

    class Status(models.TextChoices):
        OPEN = "open", _("Abierto")
        IN_PROGRESS = "in_progress", _("En curso")
        DONE = "done", _("Resuelto")
        CANCELLED = "cancelled", _("Cancelado")

    class Priority(models.IntegerChoices):
        LOW = 10, _("Baja")
        NORMAL = 20, _("Normal")
        HIGH = 30, _("Alta")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    subject = models.CharField(_("asunto"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    kind = models.CharField(
        _("tipo"),
        max_length=50,
        blank=True,
        db_index=True,
        help_text=_("Qué automatización o equipo lo abrió, p. ej. «welcome_call»."),
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        _("prioridad"), choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asignado a"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    due_at = models.DateTimeField(_("vence"), null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tipo de objeto"),
    )
    object_id = models.CharField(max_length=64, blank=True, verbose_name=_("id del objeto"))
    target = GenericForeignKey("content_type", "object_id")
    # Set by automations so the same follow-up is never raised twice (retries, re-runs).
    key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("clave única"),
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))
    closed_at = models.DateTimeField(_("cerrado"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self):
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()
