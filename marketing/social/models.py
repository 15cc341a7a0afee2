"""Social channels (a page or profile on one network, with weekly posting slots as in
Buffer) and the posts scheduled into them. A post is published once, and only when the
network answered with its id."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.models import Lesson
from courseops.operations.fields import EncryptedCharField
from students.models import Language


class Network(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"


class SocialChannel(models.Model):
    class Provider(models.TextChoices):
        CONSOLE = "console", _("Consola (no publica; para pruebas)")
        WEBHOOK = "webhook", _("Webhook firmado (Zapier, Make, n8n)")
        LINKEDIN = "linkedin", _("API de LinkedIn (página de empresa)")
        FACEBOOK = "facebook", _("API de Meta (página de Facebook)")

    name = models.CharField(_("nombre"), max_length=100)
    network = models.CharField(_("red"), max_length=10, choices=Network.choices)
    provider = models.CharField(
        _("cómo se publica"), max_length=10, choices=Provider.choices, default=Provider.CONSOLE
    )
    account = models.CharField(
        _("cuenta o destino"),
        max_length=500,
        blank=True,
        help_text=_(
            "LinkedIn: el URN de la página (urn:li:organization:123). Facebook: el id de la "
            "página (123456789). Webhook: la URL a la que se envía la publicación."
        ),
    )
    access_token = EncryptedCharField(_("token de acceso"), blank=True)
    token_expires_at = models.DateTimeField(
        _("el token caduca"),
        null=True,
        blank=True,
        help_text=_("Se avisa al equipo unos días antes (alerta de operaciones)."),
    )
    slots = models.JSONField(
        _("horarios"),
        default=dict,
        blank=True,
        help_text=_(
            'Por día de la semana (0 = lunes), horas locales: {"0": ["09:00", "17:30"], '
            '"2": ["12:00"]}. En la zona horaria del negocio.'
        ),
    )
    active = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("canal social")
        verbose_name_plural = _("canales sociales")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_network_display()})"

    def clean(self):
        if not isinstance(self.slots, dict):
            raise ValidationError({"slots": _("Debe ser un objeto {día: [horas]}.")})
        for day, times in self.slots.items():
            if str(day) not in {str(n) for n in range(7)} or not isinstance(times, list):
                raise ValidationError(
                    {"slots": _("Días de 0 (lunes) a 6, cada uno con una lista.")}
                )
            for value in times:
                hour, _sep, minute = str(value).partition(":")
                if not (
                    hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60
                ):
                    raise ValidationError({"slots": _("Hora no válida: %(v)s") % {"v": value}})


class SocialPost(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Programada")
        PUBLISHING = "publishing", _("Publicando")
        PUBLISHED = "published", _("Publicada")
        FAILED = "failed", _("Fallida")
        UNKNOWN = "unknown", _("Sin confirmar (revisar en la red)")

    channel = models.ForeignKey(
        SocialChannel, on_delete=models.PROTECT, related_name="posts", verbose_name=_("canal")
    )
    draft = models.ForeignKey(
        "reviews.Draft",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("borrador"),
    )
    text = models.TextField(_("texto"))
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    scheduled_at = models.DateTimeField(_("programada para"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    # After a passing failure: not tried again before this (null: at its slot).
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reservada"))
    held_by = models.CharField(_("en manos de"), max_length=100, blank=True)
    # Set just before the network is called: from then on the post may exist there.
    provider_called_at = models.DateTimeField(_("llamada a la red"), null=True, blank=True)
    published_at = models.DateTimeField(_("publicada"), null=True, blank=True)
    external_id = models.CharField(_("id en la red"), max_length=200, blank=True)
    last_error = models.TextField(_("último error"), blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("publicación social")
        verbose_name_plural = _("publicaciones sociales")
        ordering = ["scheduled_at"]
        constraints = [
            # A reviewed draft fills one slot per channel, however often it is picked up.
            models.UniqueConstraint(
                fields=["channel", "draft"],
                condition=models.Q(draft__isnull=False),
                name="marketing_socialpost_once_per_draft",
            )
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="marketing_social_due")]

    def __str__(self):
        return f"{self.channel} {self.scheduled_at:%Y-%m-%d %H:%M}"


class SocialClick(models.Model):
    """A click on a post's tracked link; machine fetches (link previews, crawlers) are
    kept but flagged and never counted."""

    post = models.ForeignKey(
        SocialPost, on_delete=models.CASCADE, related_name="clicks", verbose_name=_("publicación")
    )
    url = models.URLField(max_length=1000, verbose_name=_("enlace"))
    machine = models.BooleanField(default=False, verbose_name=_("visita automática"))
    reason = models.CharField(max_length=100, blank=True, verbose_name=_("motivo"))
    at = models.DateTimeField(verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("clic en publicación")
        verbose_name_plural = _("clics en publicaciones")
        indexes = [models.Index(fields=["post", "machine"], name="marketing_socialclick_post")]

    def __str__(self):
        return f"{self.post_id} {self.at:%Y-%m-%d %H:%M}"


class SocialBrief(models.Model):
    """A topic staff want posts about (a lesson's summary can be pasted in the details):
    the AI drafts two variants per network for review."""

    topic = models.CharField(_("tema"), max_length=200)
    details = models.TextField(
        _("detalles"),
        blank=True,
        help_text=_("Lo único que la IA puede citar: p. ej. el resumen de una lección."),
    )
    link = models.URLField(_("enlace"), blank=True)
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    # The lesson the brief was made from (one brief, so one set of drafts, per lesson).
    lesson = models.OneToOneField(
        Lesson,
        verbose_name=_("lección"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("tema para redes")
        verbose_name_plural = _("temas para redes")
        ordering = ["-created_at"]

    def __str__(self):
        return self.topic


class LessonForSocial(Lesson):
    """Content's lessons as marketing sees them (read only): where staff ask for a
    lesson's social drafts. A proxy, so content knows nothing of it."""

    class Meta:
        proxy = True
        verbose_name = _("lección para redes")
        verbose_name_plural = _("lecciones para redes")
