from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One state change made by a person or an automation. Append-only."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("cuándo"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("persona"),
    )
    action = models.CharField(max_length=100, db_index=True, verbose_name=_("acción"))
    content_type = models.ForeignKey(
        ContentType, null=True, on_delete=models.SET_NULL, verbose_name=_("tipo de objeto")
    )
    object_id = models.CharField(max_length=64, blank=True, verbose_name=_("id del objeto"))
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=200, blank=True, verbose_name=_("objeto"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("detalle"))

    class Meta:
        verbose_name = "entrada de auditoría"
        verbose_name_plural = "auditoría"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.action} {self.object_repr}"
