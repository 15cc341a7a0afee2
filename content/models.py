"""Courses, lessons, the content job that turns a lesson's video into materials, and what
students do with them in the portal (views, quiz attempts, completion)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content.storage import content_storage
from courseops.core.models import MarkedModel
from students.models import Plan, Student


def material_language_choices():
    """(code, name) of the languages a course can ask its materials in."""
    names = dict(settings.AI_LANGUAGES)
    return [(code, names[code]) for code in settings.CONTENT_MATERIAL_LANGUAGES]


class Course(models.Model):
    title = models.CharField(_("título"), max_length=200)
    slug = models.SlugField(_("identificador"), unique=True)
    description = models.TextField(_("descripción"), blank=True)
    plans = models.ManyToManyField(
        Plan, related_name="courses", blank=True, verbose_name=_("planes con acceso")
    )
    language = models.CharField(
        _("idioma"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Extra languages staff asked materials in (translations are a later step).
    materials_languages = models.JSONField(
        _("idiomas adicionales de los materiales"), default=list, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))

    class Meta:
        verbose_name = _("curso")
        verbose_name_plural = _("cursos")
        ordering = ["title"]

    def __str__(self):
        return self.title


class Lesson(MarkedModel):
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="lessons", verbose_name=_("curso")
    )
    order = models.PositiveSmallIntegerField(_("orden"), default=1)
    title = models.CharField(_("título"), max_length=200)
    language = models.CharField(
        _("idioma"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    video = models.FileField(
        _("vídeo"),
        upload_to="content/videos/",
        storage=content_storage,
        blank=True,
        max_length=300,
    )
    video_url = models.URLField(_("URL del vídeo"), max_length=500, blank=True)
    # Where the lesson is also published to watch (YouTube or Vimeo): the portal embeds it
    # instead of serving the file.
    watch_url = models.URLField(
        _("dirección en YouTube o Vimeo"),
        max_length=500,
        blank=True,
        help_text=_("Si la lección está publicada allí, el portal muestra ese reproductor."),
    )
    subtitles = models.FileField(
        _("subtítulos (VTT/SRT)"),
        upload_to="content/subtitles/",
        storage=content_storage,
        blank=True,
        max_length=300,
    )
    # Where an automatic intake found it (a watched folder's file, a webhook's URL): the
    # same file announced twice makes one lesson.
    source_ref = models.CharField(_("origen"), max_length=500, blank=True)
    # What the pipeline produced and staff approved; students see only these.
    transcript = models.JSONField(_("transcripción (segmentos)"), default=list, blank=True)
    materials = models.JSONField(_("materiales aprobados"), default=dict, blank=True)
    quiz = models.JSONField(_("cuestionario aprobado"), default=dict, blank=True)
    # The one-page visual of the key points, as staff approved it: {title, points, draft}.
    infographic = models.JSONField(_("infografía aprobada"), default=dict, blank=True)
    # Approved translations: {language: {title, materials, quiz, revision, draft, pdf}}.
    translations = models.JSONField(_("traducciones aprobadas"), default=dict, blank=True)
    pdf = models.FileField(
        _("PDF"), upload_to="content/pdf/", storage=content_storage, blank=True, max_length=300
    )
    # Its PDFs must be made again (an infographic approved after they were made): the
    # sweeper finds the lesson by it if the task enqueued then was lost
    # (courseops.core.pending).
    pdf_stale_since = models.DateTimeField(_("PDF por rehacer desde"), null=True, blank=True)
    pdf_stale_attempts = models.PositiveSmallIntegerField(
        _("intentos fallidos de rehacer el PDF"), default=0, editable=False
    )
    published_at = models.DateTimeField(_("publicada el"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("lección")
        verbose_name_plural = _("lecciones")
        ordering = ["course", "order", "pk"]
        indexes = [
            models.Index(fields=["course", "published_at"]),
            models.Index(
                fields=["pdf_stale_since"],
                condition=models.Q(pdf_stale_since__isnull=False),
                name="content_lesson_pdf_stale",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="content_lesson_source_once",
            )
        ]

    def __str__(self):
        return f"{self.course.title} · {self.order}. {self.title}"

    @property
    def is_published(self):
        return self.published_at is not None

    def translation_languages(self):
        """The extra languages the course wants materials in (not the lesson's own)."""
        known = settings.CONTENT_MATERIAL_LANGUAGES
        wanted = self.course.materials_languages or []
        return [code for code in dict.fromkeys(wanted) if code in known and code != self.language]


class ContentJob(models.Model):
    """The pipeline of one lesson: its `JobStep` rows run in `JobStep.ORDER`."""

    lesson = models.OneToOneField(
        Lesson, on_delete=models.CASCADE, related_name="job", verbose_name=_("lección")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("trabajo de contenido")
        verbose_name_plural = _("trabajos de contenido")
        ordering = ["-created_at"]

    def __str__(self):
        return str(self.lesson)


class JobStep(models.Model):
    class Name(models.TextChoices):
        SOURCE = "source", _("Vídeo")
        AUDIO = "audio", _("Audio")
        TRANSCRIBE = "transcribe", _("Transcripción")
        NOTES = "notes", _("Notas por partes")
        SUMMARY = "summary", _("Resumen y puntos clave")
        QUIZ = "quiz", _("Cuestionario")
        REVIEW = "review", _("Revisión")
        TRANSLATE = "translate", _("Traducciones")
        PDF = "pdf", _("PDF")
        PUBLISH = "publish", _("Publicación")
        NOTIFY = "notify", _("Aviso a alumnos")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        RUNNING = "running", _("En curso")
        WAITING = "waiting", _("Esperando revisión")
        DONE = "done", _("Hecho")
        FAILED = "failed", _("Falló")
        SKIPPED = "skipped", _("Omitido")

    ORDER = list(Name.values)
    FINISHED = (Status.DONE, Status.SKIPPED)

    job = models.ForeignKey(
        ContentJob, on_delete=models.CASCADE, related_name="steps", verbose_name=_("trabajo")
    )
    name = models.CharField(_("paso"), max_length=20, choices=Name.choices)
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progreso (%)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("empezado"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminado"))
    # The process running it (courseops.core.liveness): a dead one's step is taken over.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    cost_usd = models.DecimalField(_("coste (USD)"), max_digits=10, decimal_places=6, default=0)
    error = models.TextField(_("error"), blank=True)
    output = models.JSONField(_("resultado"), default=dict, blank=True)
    log = models.TextField(_("registro"), blank=True)

    class Meta:
        verbose_name = _("paso")
        verbose_name_plural = _("pasos")
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="content_step_once")]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self):
        return f"{self.job_id}:{self.name} ({self.status})"

    @property
    def seconds(self):
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 2)
        return None


class LessonProgress(models.Model):
    """A student's first view and completion of a lesson (each announced once)."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="progress", verbose_name=_("lección")
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="lesson_progress",
        verbose_name=_("estudiante"),
    )
    first_viewed_at = models.DateTimeField(
        default=timezone.now, verbose_name=_("vista por primera vez")
    )
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completada"))
    # What the player reported: where to resume, and the share of the video seen (never
    # goes down: a replay from the start does not undo what was watched).
    position_seconds = models.PositiveIntegerField(_("posición en el vídeo (s)"), default=0)
    watched_percent = models.PositiveSmallIntegerField(_("vídeo visto (%)"), default=0)
    played_at = models.DateTimeField(_("última reproducción"), null=True, blank=True)
    # The last time the student opened or played it: "continuar donde lo dejaste".
    last_seen_at = models.DateTimeField(_("última visita"), null=True, blank=True)

    class Meta:
        verbose_name = _("progreso en una lección")
        verbose_name_plural = _("progreso en lecciones")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"], name="content_progress_once")
        ]

    def __str__(self):
        return f"{self.student_id}:{self.lesson_id}"


class QuizAttempt(models.Model):
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("lección")
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("estudiante"),
    )
    answers = models.JSONField(_("respuestas"), default=dict)
    score = models.PositiveSmallIntegerField(_("aciertos"))
    max_score = models.PositiveSmallIntegerField(_("preguntas"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("intento de cuestionario")
        verbose_name_plural = _("intentos de cuestionario")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.score}/{self.max_score}"


class PublishNotice(models.Model):
    """A published lesson waiting to be announced; lessons of one course published close
    together are announced in one email per student (a digest)."""

    lesson = models.OneToOneField(
        Lesson, on_delete=models.CASCADE, related_name="notice", verbose_name=_("lección")
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="notices", verbose_name=_("curso")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("creado"))
    # The digest this notice went into (the first notice's id): fixed before any email is
    # queued, so a digest interrupted half-way is finished with the same lessons and keys.
    batch = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("lote"))
    announced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("anunciada"))
    recipients = models.PositiveIntegerField(default=0, verbose_name=_("destinatarios"))

    class Meta:
        verbose_name = _("aviso de publicación")
        verbose_name_plural = _("avisos de publicación")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(announced_at__isnull=True),
                name="content_notice_pending",
            )
        ]

    def __str__(self):
        return str(self.lesson_id)


class RemoteFolder(models.Model):
    """A Google Drive or Dropbox folder whose new videos become lessons of a course. The
    vendor's change marker (Drive's page token, Dropbox's cursor) says where the last scan
    stopped, so each file is seen once."""

    class Provider(models.TextChoices):
        DRIVE = "drive", "Google Drive"
        DROPBOX = "dropbox", "Dropbox"

    provider = models.CharField(_("servicio"), max_length=16, choices=Provider.choices)
    folder = models.CharField(
        _("carpeta"),
        max_length=500,
        help_text=_(
            "En Google Drive, el identificador de la carpeta (lo que sigue a /folders/ en su "
            "dirección); en Dropbox, su ruta, por ejemplo /Clases/IA aplicada."
        ),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="remote_folders", verbose_name=_("curso")
    )
    active = models.BooleanField(_("activa"), default=True)
    cursor = models.TextField(_("marca de cambios"), blank=True, editable=False)
    last_scanned_at = models.DateTimeField(_("última revisión"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("carpeta en la nube")
        verbose_name_plural = _("carpetas en la nube")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "folder"], name="content_remote_folder_once"
            )
        ]

    def __str__(self):
        return f"{self.get_provider_display()}: {self.folder}"

    def save(self, *args, **kwargs):
        # The marker belongs to the folder it was read from: another folder (or service)
        # starts from a full listing (Dropbox refuses another folder's cursor for good,
        # Drive would keep reading the old folder's changes).
        watched = getattr(self, "_watched", None)
        if watched is not None and watched != (self.provider, self.folder) and self.cursor:
            self.cursor = ""
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "cursor"}
        super().save(*args, **kwargs)
        self._watched = (self.provider, self.folder)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._watched = (instance.__dict__.get("provider"), instance.__dict__.get("folder"))
        return instance


class RemoteFile(models.Model):
    """A file seen in a cloud folder, once; `lesson` is set when it has become one."""

    folder = models.ForeignKey(
        RemoteFolder, on_delete=models.CASCADE, related_name="files", verbose_name=_("carpeta")
    )
    file_id = models.CharField(_("identificador"), max_length=300)
    name = models.CharField(_("nombre"), max_length=300)
    size = models.BigIntegerField(_("tamaño"), default=0)
    seen_at = models.DateTimeField(_("visto el"))
    # A lesson staff delete takes its files' records along rather than leaving them
    # pending, which would import the video again at the next scan.
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lección"),
    )
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("archivo en la nube")
        verbose_name_plural = _("archivos en la nube")
        constraints = [
            models.UniqueConstraint(fields=["folder", "file_id"], name="content_remote_file_once")
        ]

    def __str__(self):
        return self.name
