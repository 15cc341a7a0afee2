from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
        BUDGET = "budget", _("Presupuesto de IA agotado")
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
    fallback = models.BooleanField(
        _("proveedor de reserva"),
        default=False,
        help_text=_("Respondió el proveedor de reserva porque el principal estaba fallando."),
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


class PromptExperiment(models.Model):
    """An A/B test of two versions of one prompt: `share_b` percent of the subjects (a
    student, a lead: the same one always gets the same version) are written by version B.
    Staff end it by promoting a winner, which is then served to everyone until the
    prompt file's own version changes."""

    prompt_name = models.CharField(_("prompt"), max_length=100, db_index=True)
    version_a = models.CharField(_("versión A (la actual)"), max_length=40)
    version_b = models.CharField(_("versión B (la candidata)"), max_length=40)
    share_b = models.PositiveSmallIntegerField(
        _("parte del tráfico para B (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    started_at = models.DateTimeField(_("empezó"), default=timezone.now)
    ended_at = models.DateTimeField(_("terminó"), null=True, blank=True)
    winner = models.CharField(_("versión ganadora"), max_length=40, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidido por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("prueba A/B de prompt")
        verbose_name_plural = _("pruebas A/B de prompts")
        ordering = ["-started_at", "-id"]
        permissions = [("promote_promptexperiment", _("Puede promover la versión ganadora"))]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt_name"],
                condition=models.Q(ended_at__isnull=True),
                name="ai_one_running_experiment_per_prompt",
            ),
            models.CheckConstraint(
                condition=~models.Q(version_a=models.F("version_b")),
                name="ai_experiment_two_different_versions",
            ),
        ]

    def __str__(self):
        return f"{self.prompt_name}: v{self.version_a} / v{self.version_b}"

    @property
    def running(self):
        return self.ended_at is None


class AIEvalRun(models.Model):
    """One run of `manage.py ai_eval`: golden cases through a provider and model, checked."""

    created_at = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)
    provider = models.CharField(_("proveedor"), max_length=40)
    model = models.CharField(_("modelo"), max_length=100, blank=True)
    prompts = models.CharField(_("prompts evaluados"), max_length=500, blank=True)
    cases = models.PositiveIntegerField(_("casos"), default=0)
    passed = models.PositiveIntegerField(_("casos superados"), default=0)
    cost_usd = models.DecimalField(_("coste (USD)"), max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(_("latencia total (ms)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lanzado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluación de IA")
        verbose_name_plural = _("evaluaciones de IA")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.provider} {self.model}".strip()

    @property
    def pass_rate(self):
        return round(100 * self.passed / self.cases, 1) if self.cases else None


class AIEvalResult(models.Model):
    """One golden case of one run: the output, and every check it failed."""

    run = models.ForeignKey(
        AIEvalRun, verbose_name=_("evaluación"), on_delete=models.CASCADE, related_name="results"
    )
    prompt_name = models.CharField(_("prompt"), max_length=100)
    prompt_version = models.CharField(_("versión del prompt"), max_length=40)
    model = models.CharField(_("modelo"), max_length=100)
    case = models.CharField(_("caso"), max_length=100)
    passed = models.BooleanField(_("superado"), default=False)
    failures = models.JSONField(_("comprobaciones fallidas"), default=list, blank=True)
    output = models.TextField(_("respuesta"), blank=True)
    cost_usd = models.DecimalField(_("coste (USD)"), max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(_("latencia (ms)"), default=0)

    class Meta:
        verbose_name = _("caso evaluado")
        verbose_name_plural = _("casos evaluados")
        ordering = ["run", "prompt_name", "case"]
        indexes = [models.Index(fields=["prompt_name", "prompt_version", "run"])]

    def __str__(self):
        return f"{self.prompt_name} v{self.prompt_version} · {self.case}"


class SubmittedTranscript(models.Model):
    """Audio a transcription vendor was given and billed for, by the audio's sha256: a retry
    (another gateway call, another worker after a crash) waits for this transcript
    instead of submitting and paying for the same audio again."""

    provider = models.CharField(_("proveedor"), max_length=40)
    digest = models.CharField(_("huella del audio (sha256)"), max_length=64)
    model = models.CharField(_("modelo"), max_length=100)
    language = models.CharField(_("idioma"), max_length=16, blank=True)
    transcript_id = models.CharField(_("transcripción en el proveedor"), max_length=200)
    created_at = models.DateTimeField(_("enviado"), auto_now_add=True)

    class Meta:
        verbose_name = _("audio enviado a transcribir")
        verbose_name_plural = _("audios enviados a transcribir")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "digest", "model", "language"],
                name="ai_submitted_transcript_once",
            )
        ]

    def __str__(self):
        return f"{self.provider} {self.transcript_id}"
