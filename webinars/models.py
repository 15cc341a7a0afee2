"""Webinars, who registered, when each is reminded, and which reminders went out."""

import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from courseops.core.models import MarkedModel
from courseops.operations.fields import EncryptedCharField
from students.models import Language, Plan, Student


def validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Zona horaria desconocida: %(tz)s"), params={"tz": value}) from None


class Webinar(MarkedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        SCHEDULED = "scheduled", _("Programado")
        LIVE = "live", _("En vivo")
        FINISHED = "finished", _("Finalizado")
        CANCELLED = "cancelled", _("Cancelado")

    # Stable across reschedules: the calendar UID and the unguessable meeting room name.
    uid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("identificador público")
    )
    title = models.CharField(_("título"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("anfitrión"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_webinars",
    )
    # Stored in UTC like every datetime; shown in the webinar's own `time_zone`.
    starts_at = models.DateTimeField(_("inicio"), db_index=True)
    time_zone = models.CharField(
        _("zona horaria"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duración (minutos)"), default=60)
    capacity = models.PositiveIntegerField(
        _("aforo"), null=True, blank=True, help_text=_("Vacío: sin límite.")
    )
    is_public = models.BooleanField(
        _("público"), default=False, help_text=_("Cualquiera puede inscribirse desde la web.")
    )
    plans = models.ManyToManyField(
        Plan, verbose_name=_("planes que pueden asistir"), blank=True, related_name="webinars"
    )
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    meeting_provider = models.CharField(_("proveedor de la reunión"), max_length=20, blank=True)
    meeting_url = models.URLField(_("enlace de la reunión"), max_length=500, blank=True)
    meeting_external_id = models.CharField(_("id en el proveedor"), max_length=100, blank=True)
    meeting_error = models.TextField(_("error del proveedor"), blank=True)
    # RFC 5545 SEQUENCE: +1 on every change registrants must see (reschedule, cancel).
    ics_sequence = models.PositiveIntegerField(_("secuencia del calendario"), default=0)
    # Set once, when attendance is final: absentees are announced (webinar_missed) then.
    attendance_settled_at = models.DateTimeField(_("asistencia cerrada el"), null=True, blank=True)
    # When the meeting link was ready and registrations opened: creation to here is the
    # setup time the dashboard reports.
    scheduled_at = models.DateTimeField(_("programado el"), null=True, blank=True)
    # Its event in the staff's Google Calendar (ours: "cow" + uid in hex; or the id of the
    # event it was created from), and a digest of what was last written there.
    calendar_event_id = models.CharField(
        _("evento en Google Calendar"), max_length=1024, blank=True, editable=False
    )
    calendar_pushed = models.CharField(
        _("huella de lo escrito en el calendario"), max_length=64, blank=True, editable=False
    )
    calendar_error = models.TextField(_("error de Google Calendar"), blank=True)
    # AI drafts owed since then (the 7-day reminder text in each language, the social
    # posts); found by the sweeper if the task enqueued then was lost
    # (courseops.core.pending).
    reminder_text_due_since = models.DateTimeField(
        _("texto del recordatorio por redactar desde"), null=True, blank=True, editable=False
    )
    social_posts_due_since = models.DateTimeField(
        _("publicaciones sociales por redactar desde"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("webinar")
        verbose_name_plural = _("webinars")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_event_id"],
                condition=~models.Q(calendar_event_id=""),
                name="webinars_webinar_calendar_event_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["reminder_text_due_since"],
                condition=models.Q(reminder_text_due_since__isnull=False),
                name="webinar_reminder_text_due",
            ),
            models.Index(
                fields=["social_posts_due_since"],
                condition=models.Q(social_posts_due_since__isnull=False),
                name="webinar_social_posts_due",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)


class Registration(MarkedModel):
    class Source(models.TextChoices):
        ONBOARDING = "onboarding", _("Alta de estudiante")
        PAGE = "page", _("Página pública")
        PORTAL = "portal", _("Portal del alumno")
        API = "api", "API"
        ADMIN = "admin", _("Admin")

    webinar = models.ForeignKey(
        Webinar, verbose_name=_("webinar"), on_delete=models.CASCADE, related_name="registrations"
    )
    student = models.ForeignKey(
        Student,
        verbose_name=_("estudiante"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webinar_registrations",
    )
    # A lead's own details; for a student, a copy taken at registration (reminders need
    # them in the scan without joining students).
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("nombre"), max_length=200, blank=True)
    # Encrypted at rest; searchable, so filter(phone=...) matches by a keyed hash.
    phone = EncryptedCharField(
        _("teléfono"), max_length=20, blank=True, help_text="E.164", searchable=True
    )
    time_zone = models.CharField(
        _("zona horaria"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
    )
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    source = models.CharField(_("origen"), max_length=20, choices=Source.choices)
    sms_consent = models.BooleanField(_("acepta SMS"), default=False)
    consent_text = models.TextField(_("texto del consentimiento"), blank=True)
    consent_at = models.DateTimeField(_("consentimiento el"), null=True, blank=True)
    # Zoom registrants get a personal link; empty means the webinar's link.
    join_url = models.URLField(_("enlace personal"), max_length=500, blank=True)
    external_id = models.CharField(_("id en el proveedor"), max_length=100, blank=True)
    # Why the provider gave no personal link (the confirmation then carries the shared one).
    last_error = models.TextField(_("último error"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelada el"), null=True, blank=True)
    # Filled after the webinar: CSV import, tracked join link, Zoom webhooks or report.
    attended = models.BooleanField(_("asistió"), null=True, blank=True)
    minutes_attended = models.PositiveIntegerField(
        _("minutos de asistencia"), null=True, blank=True
    )
    # When it first counted as attended: set once, which is what sends webinar_attended once.
    attended_at = models.DateTimeField(_("asistencia registrada el"), null=True, blank=True)
    attendance_source = models.CharField(_("origen de la asistencia"), max_length=20, blank=True)
    # The confirmation (personal link, .ics) is owed since then; found by the sweeper if
    # the task enqueued then was lost (courseops.core.pending).
    confirmation_due_since = models.DateTimeField(
        _("confirmación por enviar desde"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("inscrito el"), auto_now_add=True)

    class Meta:
        verbose_name = _("inscripción")
        verbose_name_plural = _("inscripciones")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "email"], name="webinars_registration_once_per_email"
            )
        ]
        indexes = [
            models.Index(fields=["webinar", "cancelled_at"]),
            models.Index(
                fields=["confirmation_due_since"],
                condition=models.Q(confirmation_due_since__isnull=False),
                name="registration_confirmation_due",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.email} → {self.webinar_id}"

    @property
    def link(self):
        return self.join_url or self.webinar.meeting_url


class Reminder(models.Model):
    """One step of a webinar's reminder schedule (7 days, 1 day, 2 hours, 10 minutes...)."""

    webinar = models.ForeignKey(
        Webinar, verbose_name=_("webinar"), on_delete=models.CASCADE, related_name="reminders"
    )
    offset = models.DurationField(_("antes del inicio"))
    email = models.BooleanField(_("correo"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    push = models.BooleanField(
        _("notificación push"),
        default=False,
        help_text=_("A quienes activaron los avisos en el portal."),
    )
    # The reminder text is one AI draft per webinar and language of its registrants,
    # reviewed, then merged per registrant.
    uses_ai_text = models.BooleanField(_("texto redactado con IA"), default=False)
    include_join_link = models.BooleanField(_("incluye el enlace"), default=False)
    active = models.BooleanField(_("activo"), default=True)
    approved_subject = models.CharField(_("asunto aprobado"), max_length=255, blank=True)
    approved_body = models.TextField(_("texto aprobado"), blank=True)
    # The reviewed text in each other language of the registrants: {"en": {"subject",
    # "body"}}. approved_subject/body are the webinar's own language.
    approved_texts = models.JSONField(_("textos aprobados por idioma"), default=dict, blank=True)

    class Meta:
        verbose_name = _("recordatorio")
        verbose_name_plural = _("recordatorios")
        ordering = ["webinar", "-offset"]
        constraints = [
            models.UniqueConstraint(fields=["webinar", "offset"], name="webinars_reminder_offset")
        ]

    def __str__(self):
        return _("%(offset)s antes") % {"offset": describe_offset(self.offset)}

    @property
    def ready(self):
        return not self.uses_ai_text or bool(self.approved_body)

    def approved_text(self, language):
        """(subject, body) reviewed in `language`, or None while there is none."""
        if language == self.webinar.language:
            return (self.approved_subject, self.approved_body) if self.approved_body else None
        text = self.approved_texts.get(language) or {}
        return (text.get("subject", ""), text["body"]) if text.get("body") else None


def describe_offset(offset):
    """A reminder's distance to the start in words: "7 días", "2 horas", "10 minutos"."""
    minutes = int(offset.total_seconds() // 60)
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d día", "%(n)d días", days) % {"n": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hora", "%(n)d horas", hours) % {"n": hours}
    return ngettext("%(n)d minuto", "%(n)d minutos", minutes) % {"n": minutes}


class ReminderDelivery(models.Model):
    """That one registrant's reminder was handled: the unique row is the exactly-once.

    Keyed by (registration, reminder), not by the start time, so a reschedule never
    resends what already went out; rows whose messages were still waiting are deleted by
    the reschedule so those reminders follow the new time.
    """

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Reclamado")
        QUEUED = "queued", _("En la bandeja de salida")
        SKIPPED = "skipped", _("Omitido")

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="reminder_deliveries",
        verbose_name=_("inscripción"),
    )
    reminder = models.ForeignKey(
        Reminder,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("recordatorio"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CLAIMED, verbose_name=_("estado")
    )
    # Which scan claimed it: lets a scan find its own rows after an ignore-conflicts insert.
    claim = models.UUIDField(db_index=True, verbose_name=_("reserva"))
    sequence = models.PositiveIntegerField(default=0, verbose_name=_("orden"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detalle"))
    # When it was (last) claimed: the scan hands out again rows no task picked up.
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    # The process delivering it (courseops.core.liveness); empty until a task picks it up.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    # How many times it was taken over from a worker that died or a task that was lost.
    takeovers = models.PositiveSmallIntegerField(_("retomado"), default=0)

    class Meta:
        verbose_name = _("recordatorio enviado")
        verbose_name_plural = _("recordatorios enviados")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "reminder"], name="webinars_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.registration_id}:{self.reminder_id} ({self.status})"


class AttendanceSession(models.Model):
    """One join/leave pair of a Zoom participant; minutes are the union of the pairs, so a
    repeated webhook or a report row already seen changes nothing."""

    webinar = models.ForeignKey(
        Webinar,
        on_delete=models.CASCADE,
        related_name="attendance_sessions",
        verbose_name=_("webinar"),
    )
    registration = models.ForeignKey(
        Registration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attendance_sessions",
        verbose_name=_("inscripción"),
    )
    # The participant's email when Zoom gives one, else its participant id or name.
    participant_key = models.CharField(max_length=255, verbose_name=_("participante"))
    email = models.EmailField(max_length=254, blank=True, verbose_name=_("email"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("nombre en la sesión"))
    joined_at = models.DateTimeField(verbose_name=_("entró"))
    left_at = models.DateTimeField(null=True, blank=True, verbose_name=_("salió"))

    class Meta:
        verbose_name = _("sesión de asistencia")
        verbose_name_plural = _("sesiones de asistencia")
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "participant_key", "joined_at"],
                name="webinars_attendance_session_once",
            )
        ]

    def __str__(self):
        return f"{self.participant_key} {self.joined_at:%H:%M}-{self.left_at or ''}"


class Recording(MarkedModel):
    """A webinar's recording: where to watch it, where its transcript came from, the
    transcript, and how far the summary and follow-ups went."""

    class Source(models.TextChoices):
        ZOOM = "zoom", "Zoom"
        UPLOAD = "upload", _("Subida en el admin")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibida")
        TRANSCRIBED = "transcribed", _("Transcrita")
        SUMMARY_PENDING = "summary_pending", _("Resumen pendiente de revisión")
        FOLLOWUPS_SENT = "followups_sent", _("Seguimientos enviados")
        FAILED = "failed", _("Fallida")

    webinar = models.OneToOneField(
        Webinar, verbose_name=_("webinar"), on_delete=models.CASCADE, related_name="recording"
    )
    source = models.CharField(_("origen"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    # The link attendees and absentees get (Zoom's share page, YouTube, the uploaded file).
    watch_url = models.URLField(_("enlace para verla"), max_length=1000, blank=True)
    # What the watch link asks for (Zoom's recording_play_passcode): sent with the link.
    watch_passcode = models.CharField(_("código de acceso"), max_length=100, blank=True)
    # An uploaded video, audio or VTT/SRT file the transcript is taken from.
    file = models.FileField(_("archivo"), upload_to="webinars/recordings/", blank=True)
    # Zoom's recording_files and the download token of recording.completed.
    zoom_files = models.JSONField(_("archivos en Zoom"), default=list, blank=True)
    # A credential to the recording's files: encrypted at rest, never searched.
    zoom_download_token = EncryptedCharField(
        blank=True, verbose_name=_("token de descarga de Zoom")
    )
    transcript = models.TextField(_("transcripción"), blank=True)
    transcript_segments = models.JSONField(
        default=list, blank=True, verbose_name=_("fragmentos de la transcripción")
    )
    # Parts of a long audio already transcribed ({part key: segments}): a retry after a
    # failure sends only the rest. Emptied once the transcript is saved.
    transcript_parts = models.JSONField(
        default=dict, blank=True, verbose_name=_("partes de la transcripción")
    )
    # Set while one task transcribes (a duplicate delivery then stands down); a claim older
    # than `TRANSCRIPTION_CLAIM_TTL` is taken over, as its worker died.
    transcribing_since = models.DateTimeField(_("transcribiendo desde"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Where the video was published (YouTube), once its title and description were approved.
    video_url = models.URLField(_("vídeo publicado"), max_length=500, blank=True)
    video_external_id = models.CharField(_("id del vídeo"), max_length=100, blank=True)
    published_at = models.DateTimeField(_("publicado el"), null=True, blank=True)
    # Transcript and drafts owed since then (a recording received, a new file); found by
    # the sweeper if the task enqueued then was lost (courseops.core.pending).
    process_due_since = models.DateTimeField(
        _("por procesar desde"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("grabación")
        verbose_name_plural = _("grabaciones")
        indexes = [
            models.Index(
                fields=["process_due_since"],
                condition=models.Q(process_due_since__isnull=False),
                name="recording_process_due",
            )
        ]

    def __str__(self):
        return _("Grabación de %(title)s") % {"title": self.webinar.title}


class CalendarSync(models.Model):
    """Where the staff calendar's incremental sync stands (its sync token) and its push
    channel (events.watch), one row per calendar."""

    calendar_id = models.CharField(_("calendario"), max_length=300, unique=True)
    sync_token = models.TextField(_("marca de sincronización"), blank=True, editable=False)
    channel_id = models.CharField(
        _("canal de avisos"), max_length=64, blank=True, editable=False, db_index=True
    )
    channel_resource_id = models.CharField(
        _("recurso del canal"), max_length=300, blank=True, editable=False
    )
    channel_expires_at = models.DateTimeField(_("el aviso caduca el"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("última sincronización"), null=True, blank=True)
    last_error = models.TextField(_("último error"), blank=True)

    class Meta:
        verbose_name = _("sincronización de Google Calendar")
        verbose_name_plural = _("sincronizaciones de Google Calendar")

    def __str__(self):
        return self.calendar_id


class ReplayProgress(models.Model):
    """Where a student is in a webinar's recording on the portal's replay page, and how
    much of it they saw (never goes down; each milestone is announced once)."""

    recording = models.ForeignKey(
        Recording,
        on_delete=models.CASCADE,
        related_name="replay_progress",
        verbose_name=_("grabación"),
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="replay_progress",
        verbose_name=_("estudiante"),
    )
    position_seconds = models.PositiveIntegerField(_("posición en el vídeo (s)"), default=0)
    watched_percent = models.PositiveSmallIntegerField(_("vídeo visto (%)"), default=0)
    played_at = models.DateTimeField(_("última reproducción"), null=True, blank=True)

    class Meta:
        verbose_name = _("progreso en una grabación")
        verbose_name_plural = _("progreso en grabaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "student"], name="webinars_replay_progress_once"
            )
        ]

    def __str__(self):
        return f"{self.student_id} @ {self.recording_id}: {self.watched_percent} %"
