from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AIUsage(models.Model):
    """One call to the AI gateway: what was asked, by whom, what it cost. Append-only.

    Other apps keep a foreign key to the row behind each draft they store, so staff can
    see which prompt version and model wrote it and whether it was an offline draft.
    """

    class Kind(models.TextChoices):
        GENERATE = "generate", _("Generación")
        TRANSCRIBE = "transcribe", _("Transcripción")

    class Status(models.TextChoices):
        OK = "ok", _("Correcto")
        FAILED = "failed", _("Fallido")
        OVER_BUDGET = "over_budget", _("Sin presupuesto (en cola)")

    class CachePolicy(models.TextChoices):
        NONE = "", _("—")
        SHARED = "shared", _("Compartida")
        PERSONAL = "personal", _("Personal (solo la misma persona)")

    class OfflineReason(models.TextChoices):
        NONE = "", _("—")
        CONFIGURED = "configured", _("Proveedor sin conexión configurado")
        BUDGET = "budget", _("Presupuesto diario agotado")
        SUBTITLES = "subtitles", _("El archivo ya era un subtítulo")

    created_at = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind, default=Kind.GENERATE)
    prompt_name = models.CharField(_("prompt"), max_length=100, blank=True, db_index=True)
    prompt_version = models.CharField(_("versión del prompt"), max_length=40, blank=True)
    provider = models.CharField(_("proveedor"), max_length=40)
    model = models.CharField(_("modelo"), max_length=100, db_index=True)
    tokens_in = models.PositiveIntegerField(_("tokens de entrada"), default=0)
    tokens_out = models.PositiveIntegerField(_("tokens de salida"), default=0)
    tokens_cached = models.PositiveIntegerField(
        _("tokens de entrada en caché del proveedor"), default=0
    )
    audio_seconds = models.PositiveIntegerField(_("segundos de audio"), default=0)
    cost_usd = models.DecimalField(_("coste (USD)"), max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(_("latencia (ms)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("llamadas al proveedor"), default=0)
    cache_hit = models.BooleanField(_("desde caché"), default=False)
    cache_policy = models.CharField(
        _("caché del prompt"), max_length=10, choices=CachePolicy, blank=True, default=""
    )
    offline = models.BooleanField(_("sin conexión"), default=False)
    offline_reason = models.CharField(
        _("motivo sin conexión"), max_length=20, choices=OfflineReason, blank=True, default=""
    )
    status = models.CharField(_("estado"), max_length=20, choices=Status, default=Status.OK)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.CharField(_("solicitado por"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("uso de IA")
        verbose_name_plural = _("usos de IA")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        what = self.prompt_name or self.get_kind_display()
        return f"{what} · {self.model} · {self.created_at:%Y-%m-%d %H:%M}"
