"""Activity, per-student progress, nudge rules and what they sent, risk scores."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from courseops.core.display import percent_value
from courseops.core.models import MarkedModel
from students.models import Plan, Student


class ActivityKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Inicio de sesión")
    LESSON_VIEWED = "lesson_viewed", _("Lección vista")
    LESSON_WATCHED = "lesson_watched", _("Vídeo de la lección visto en parte")
    LESSON_COMPLETED = "lesson_completed", _("Lección completada")
    QUIZ_ATTEMPTED = "quiz_attempted", _("Cuestionario realizado")
    ASSIGNMENT_SUBMITTED = "assignment_submitted", _("Tarea entregada")
    WEBINAR_ATTENDED = "webinar_attended", _("Asistió a un webinar")
    WEBINAR_MISSED = "webinar_missed", _("Faltó a un webinar")
    RECORDING_WATCHED = "recording_watched", _("Grabación de un webinar vista en parte")
    QUESTION_ASKED = "question_asked", _("Pregunta enviada")
    LINK_CLICKED = "link_clicked", _("Enlace abierto")


# A missed webinar is recorded but is not the student doing something.
NOT_ACTIVITY = frozenset({ActivityKind.WEBINAR_MISSED})


class ActivitySource(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", "API"
    CSV = "csv", "CSV"
    THINKIFIC = "thinkific", "Thinkific"
    TEACHABLE = "teachable", "Teachable"
    WEBINARS = "webinars", _("Webinars")
    CONTENT = "content", _("Contenido")


class ActivityEvent(models.Model):
    """One thing a student did (or missed), as reported by its source. Append-only.

    `external_id` is the sender's id for the event (API event id, Thinkific delivery id,
    CSV row id, or ours for signals): the same report twice is stored once. The object it
    is about is a content type + id for our own rows (a webinar registration, a lesson
    once the content app lands) or `metadata["object_type"/"object_id"]` for an LMS's.
    """

    student = models.ForeignKey(
        Student,
        verbose_name=_("estudiante"),
        on_delete=models.CASCADE,
        related_name="activity_events",
    )
    kind = models.CharField(_("tipo"), max_length=32, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("cuándo"))
    source = models.CharField(_("origen"), max_length=16, choices=ActivitySource.choices)
    external_id = models.CharField(_("id del emisor"), max_length=200, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tipo de objeto"),
    )
    object_id = models.CharField(_("id del objeto"), max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    metadata = models.JSONField(_("datos"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    recorded_at = models.DateTimeField(_("registrado"), auto_now_add=True)

    class Meta:
        verbose_name = _("evento de actividad")
        verbose_name_plural = _("eventos de actividad")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="engagement_event_once_per_sender_id",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "-occurred_at"], name="engagement_event_timeline"),
            models.Index(fields=["kind", "occurred_at"], name="engagement_event_kind_when"),
        ]

    def __str__(self):
        return f"{self.student_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Activity events are append-only.")
        super().save(*args, **kwargs)


class CompletedLesson(models.Model):
    """A lesson a student finished, once whatever reports it again: what makes
    `StudentProgress.lessons_completed` count lessons, not completion events."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("estudiante")
    )
    lesson_ref = models.CharField(max_length=120, verbose_name=_("lección (referencia)"))
    completed_at = models.DateTimeField(verbose_name=_("completada"))

    class Meta:
        verbose_name = _("lección completada")
        verbose_name_plural = _("lecciones completadas")
        constraints = [
            models.UniqueConstraint(fields=["student", "lesson_ref"], name="lesson_completed_once")
        ]

    def __str__(self):
        return f"{self.student_id}:{self.lesson_ref}"


class PlanCurriculum(models.Model):
    """How many lessons a plan's courses have, for percent done: the content app's
    published lessons of the plan's courses (recounted when that changes) plus the
    lessons staff count by hand in an external LMS."""

    plan = models.OneToOneField(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="curriculum"
    )
    lessons_total = models.PositiveIntegerField(_("lecciones del plan"), default=0)
    external_lessons = models.PositiveIntegerField(
        _("lecciones en un LMS externo"),
        default=0,
        help_text=_("Se suman a las lecciones publicadas de los cursos del plan."),
    )

    class Meta:
        verbose_name = _("temario del plan")
        verbose_name_plural = _("temarios de los planes")

    def __str__(self):
        return f"{self.plan}: {self.lessons_total}"


class StudentProgress(models.Model):
    """A student's running totals, updated by each event as it arrives (never recomputed
    from history). `streak_*` are days in the student's own time zone."""

    student = models.OneToOneField(
        Student,
        verbose_name=_("estudiante"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="progress",
    )
    last_activity_at = models.DateTimeField(_("última actividad"), null=True, blank=True)
    lessons_completed = models.PositiveIntegerField(_("lecciones completadas"), default=0)
    quizzes_attempted = models.PositiveIntegerField(_("cuestionarios"), default=0)
    quizzes_failed = models.PositiveIntegerField(_("cuestionarios suspendidos"), default=0)
    webinars_attended = models.PositiveIntegerField(_("webinars asistidos"), default=0)
    webinars_missed = models.PositiveIntegerField(_("webinars perdidos"), default=0)
    streak_days = models.PositiveIntegerField(_("racha (días)"), default=0)
    streak_last_day = models.DateField(_("último día de la racha"), null=True, blank=True)
    longest_streak = models.PositiveIntegerField(_("mejor racha"), default=0)
    events_count = models.PositiveIntegerField(_("eventos"), default=0)
    weekly_email = models.BooleanField(
        _("resumen semanal por correo"), default=False, help_text=_("Lo activa el estudiante.")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("progreso")
        verbose_name_plural = _("progreso de estudiantes")
        indexes = [models.Index(fields=["last_activity_at"], name="engagement_progress_last")]

    def __str__(self):
        return f"{self.student_id}: {self.lessons_completed}"

    def percent_of(self, lessons_total):
        if not lessons_total:
            return 0
        return min(100, percent_value(self.lessons_completed, lessons_total))


class NudgeRule(models.Model):
    """When a student gets a nudge or a congratulation, editable by staff.

    `threshold` is days for `inactive`, `streak` and `assignment_due` (days before the due
    date), a percent for `milestone`, unused for `course_completed` and
    `assignment_overdue`. Quiet hours are read in each student's own time zone: a message
    approved inside them is scheduled for when they end.
    """

    class Kind(models.TextChoices):
        INACTIVE = "inactive", _("Inactivo N días")
        MILESTONE = "milestone", _("Hito de progreso (%)")
        STREAK = "streak", _("Racha de N días")
        COURSE_COMPLETED = "course_completed", _("Curso completado")
        ASSIGNMENT_DUE = "assignment_due", _("Tarea que vence en N días")
        ASSIGNMENT_OVERDUE = "assignment_overdue", _("Tarea vencida")

    name = models.CharField(_("nombre"), max_length=100, unique=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    threshold = models.PositiveIntegerField(_("umbral"), default=0)
    plans = models.ManyToManyField(
        Plan,
        verbose_name=_("planes"),
        blank=True,
        help_text=_("Vacío: todos los planes."),
        related_name="+",
    )
    cooldown_days = models.PositiveIntegerField(
        _("días entre avisos"),
        default=7,
        help_text=_("Un estudiante no recibe esta regla otra vez antes de estos días."),
    )
    sms = models.BooleanField(
        _("también por SMS"),
        default=False,
        help_text=_("Además del correo, un SMS breve a quien tenga teléfono y haya aceptado SMS."),
    )
    quiet_start_hour = models.PositiveSmallIntegerField(_("silencio desde (hora)"), default=21)
    quiet_end_hour = models.PositiveSmallIntegerField(_("silencio hasta (hora)"), default=8)
    active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("regla de seguimiento")
        verbose_name_plural = _("reglas de seguimiento")
        ordering = ["kind", "threshold"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_start_hour__lte=23) & Q(quiet_end_hour__lte=23),
                name="engagement_rule_quiet_hours_valid",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def review_kind(self):
        if self.kind == self.Kind.INACTIVE:
            return "nudge_inactive"
        if self.kind in (self.Kind.ASSIGNMENT_DUE, self.Kind.ASSIGNMENT_OVERDUE):
            return "nudge_pending"
        return "congratulations"


class Nudge(models.Model):
    """One rule's message to one student for one occurrence (this inactive spell, this
    milestone): the unique row is the claim that makes it go out at most once."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Pendiente de redactar")
        DRAFTED = "drafted", _("En revisión")
        SENT = "sent", _("Enviado")
        # Its message reached the outbox while its automation was in shadow: not sent.
        SHADOWED = "shadowed", _("En sombra: no enviado")
        # Its message waits for staff in the review queue (its automation is in review).
        HELD = "held", _("Retenido: espera la aprobación del equipo")
        SKIPPED = "skipped", _("Descartado")

    rule = models.ForeignKey(
        NudgeRule, verbose_name=_("regla"), on_delete=models.CASCADE, related_name="nudges"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("estudiante"), on_delete=models.CASCADE, related_name="+"
    )
    occurrence = models.CharField(_("ocasión"), max_length=64)
    status = models.CharField(
        _("estado"), max_length=16, choices=Status.choices, default=Status.CLAIMED
    )
    scan_id = models.CharField(max_length=32, db_index=True, verbose_name=_("revisión"))
    facts = models.JSONField(_("datos del estudiante"), default=dict, encoder=DjangoJSONEncoder)
    draft = models.ForeignKey(
        "reviews.Draft",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("borrador"),
    )
    message = models.ForeignKey(
        "messaging.OutboundMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("mensaje"),
    )
    skipped_reason = models.CharField(_("motivo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)

    class Meta:
        verbose_name = _("aviso")
        verbose_name_plural = _("avisos")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "student", "occurrence"], name="nudge_once_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["rule", "student", "-created_at"], name="engagement_nudge_cool"),
            models.Index(
                fields=["created_at"], condition=Q(status="claimed"), name="engagement_nudge_todo"
            ),
        ]

    def __str__(self):
        return f"{self.rule} → {self.student_id} ({self.occasion_label()})"

    def occasion_label(self):
        """The occasion in words: "sin actividad desde el 21/11/2026", not "since:2026-11-21"
        (the code is what makes a nudge once per occasion; see services.nudges)."""
        code, _sep, value = self.occurrence.partition(":")
        if code == "since":
            return _("sin actividad desde el %(day)s") % {"day": _day(value)}
        if code == "pct":
            return _("al llegar al %(pct)s %% del curso") % {"pct": value}
        if code == "from":
            return _("racha de días seguidos desde el %(day)s") % {"day": _day(value)}
        labels = {"never": _("sin actividad desde el alta"), "completed": _("curso completado")}
        return str(labels.get(self.occurrence, self.occurrence))


def _day(iso_date):
    try:
        return date_format(date.fromisoformat(iso_date), "SHORT_DATE_FORMAT")
    except ValueError:
        return iso_date


class RiskWeights(models.Model):
    """The risk score's weights, one row staff edit in the admin (`RiskWeights.current()`).

    Each factor adds points; the score is their sum, capped at 100.
    """

    per_inactive_day = models.DecimalField(
        _("puntos por día sin actividad"), max_digits=5, decimal_places=2, default=3
    )
    inactive_grace_days = models.PositiveIntegerField(_("días sin actividad tolerados"), default=3)
    per_10_percent_behind = models.DecimalField(
        _("puntos por cada 10 % de retraso"), max_digits=5, decimal_places=2, default=5
    )
    expected_course_days = models.PositiveIntegerField(
        _("días esperados para terminar el curso"),
        default=60,
        help_text=_("El ritmo esperado se mide desde la fecha de alta de cada estudiante."),
    )
    per_overdue_assignment = models.DecimalField(
        _("puntos por tarea vencida"), max_digits=5, decimal_places=2, default=10
    )
    per_missed_webinar = models.DecimalField(
        _("puntos por webinar perdido (30 días)"), max_digits=5, decimal_places=2, default=8
    )
    per_failed_quiz = models.DecimalField(
        _("puntos por cuestionario suspendido"), max_digits=5, decimal_places=2, default=5
    )
    failed_payment = models.DecimalField(
        _("puntos por pago fallido"), max_digits=5, decimal_places=2, default=20
    )
    falling_activity = models.DecimalField(
        _("puntos si la actividad cae a la mitad"), max_digits=5, decimal_places=2, default=10
    )
    medium_from = models.PositiveSmallIntegerField(_("riesgo medio desde"), default=30)
    high_from = models.PositiveSmallIntegerField(_("riesgo alto desde"), default=60)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("pesos del riesgo")
        verbose_name_plural = _("pesos del riesgo")

    def __str__(self):
        return str(_("Pesos del riesgo"))

    def save(self, *args, **kwargs):
        self.pk = 1  # a single row: saving "another" edits this one
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls()


class RiskLevel(models.TextChoices):
    LOW = "low", _("Bajo")
    MEDIUM = "medium", _("Medio")
    HIGH = "high", _("Alto")


def risk_reason(factor, value):
    """A risk factor's reason in words, in the reader's language ("14 días sin
    actividad"), built from its stored value when shown, so the scoring stores numbers
    only (and can run as one SQL statement)."""
    match factor:
        case "inactive":
            return ngettext("%(n)d día sin actividad", "%(n)d días sin actividad", value) % {
                "n": value
            }
        case "behind_pace":
            return gettext("%(n)d %% por detrás del ritmo esperado") % {"n": value}
        case "overdue_work":
            return ngettext("%(n)d tarea vencida", "%(n)d tareas vencidas", value) % {"n": value}
        case "missed_webinars":
            return ngettext("faltó a %(n)d webinar", "faltó a %(n)d webinars", value) % {"n": value}
        case "failed_quizzes":
            return ngettext(
                "%(n)d cuestionario suspendido", "%(n)d cuestionarios suspendidos", value
            ) % {"n": value}
        case "failed_payment":
            return gettext("pago pendiente")
        case "falling_activity":
            before, now = value
            return gettext("su actividad cayó de %(before)d a %(now)d eventos por semana") % {
                "before": before,
                "now": now,
            }
    return factor


class RiskScore(models.Model):
    """A student's latest daily risk score and why: `factors` is a list of
    {"factor", "value", "points"} so staff read the reasons (`reasons`, built from the
    values in their language), not a number."""

    student = models.OneToOneField(
        Student,
        verbose_name=_("estudiante"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="risk",
    )
    score = models.PositiveSmallIntegerField(_("puntuación"), default=0, db_index=True)
    level = models.CharField(_("nivel"), max_length=8, choices=RiskLevel.choices)
    factors = models.JSONField(_("factores"), default=list, encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(_("calculado"))

    class Meta:
        verbose_name = _("riesgo de abandono")
        verbose_name_plural = _("riesgo de abandono")
        ordering = ["-score"]

    def __str__(self):
        return f"{self.student_id}: {self.score} ({self.level})"

    @property
    def reason_list(self):
        return [risk_reason(factor["factor"], factor["value"]) for factor in self.factors]

    @property
    def reasons(self):
        return ", ".join(self.reason_list)


class Intervention(models.Model):
    """What staff did (or approved) for a student at high risk, and whether it worked:
    `came_back` is whether the student was active within 7 days of it."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Mensaje personal")
        CALL = "call", _("Llamada del equipo")
        ONE_ON_ONE = "one_on_one", _("Oferta de sesión 1:1")

    student = models.ForeignKey(
        Student, verbose_name=_("estudiante"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("tipo"), max_length=16, choices=Kind.choices)
    # One suggestion per student per ISO week, whatever runs the scoring.
    week = models.CharField(_("semana"), max_length=8)
    score = models.PositiveSmallIntegerField(_("puntuación"))
    reasons = models.TextField(_("motivos"), blank=True)
    draft = models.ForeignKey(
        "reviews.Draft",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("borrador"),
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ticket"),
    )
    applied_at = models.DateTimeField(_("aplicada"), null=True, blank=True)
    came_back = models.BooleanField(_("volvió en 7 días"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("intervención")
        verbose_name_plural = _("intervenciones")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "week"], name="intervention_once_a_week")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.student_id} ({self.week})"


class WeeklyReport(models.Model):
    """The staff's Monday report of one ISO week: its figures, the AI summary written only
    from them, and the PDF that was emailed (once) to the staff list."""

    week = models.CharField(_("semana"), max_length=8, unique=True, help_text="2026-W47")
    starts_at = models.DateTimeField(_("desde"))
    ends_at = models.DateTimeField(_("hasta"))
    figures = models.JSONField(_("cifras"), default=dict, encoder=DjangoJSONEncoder)
    summary = models.TextField(_("resumen"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="engagement/reports/", blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("enviado"), null=True, blank=True)

    class Meta:
        verbose_name = _("informe semanal")
        verbose_name_plural = _("informes semanales")
        ordering = ["-starts_at"]

    def __str__(self):
        return self.week


class Assignment(models.Model):
    """Work students hand in. Due either on a fixed date or N days after each student's
    enrolment (rolling enrolment: everyone gets the same time)."""

    title = models.CharField(_("título"), max_length=200)
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Vacío: todos los planes."),
        related_name="+",
    )
    # The course or lesson it belongs to (a content row once that app lands).
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tipo de objeto"),
    )
    object_id = models.CharField(_("id de la lección o curso"), max_length=64, blank=True)
    instructions = models.TextField(_("instrucciones"))
    rubric = models.TextField(_("rúbrica"), help_text=_("Criterios con los que se puntúa."))
    max_score = models.PositiveSmallIntegerField(_("puntuación máxima"), default=10)
    due_at = models.DateTimeField(_("fecha de entrega"), null=True, blank=True)
    due_days_after_enrolment = models.PositiveSmallIntegerField(
        _("días tras el alta"), null=True, blank=True
    )
    active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))

    class Meta:
        verbose_name = _("tarea")
        verbose_name_plural = _("tareas")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__isnull=True) | Q(due_days_after_enrolment__isnull=True),
                name="assignment_one_kind_of_due_date",
            )
        ]

    def __str__(self):
        return self.title

    def due_for(self, student):
        return self.due_for_enrolment(student.activated_at or student.created_at)

    def due_for_enrolment(self, enrolled):
        if self.due_at:
            return self.due_at
        if self.due_days_after_enrolment is not None:
            return enrolled + timedelta(days=self.due_days_after_enrolment)
        return None


class Submission(MarkedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Entregada")
        FEEDBACK_DRAFTED = "feedback_drafted", _("Corrección en revisión")
        GRADED = "graded", _("Corregida")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("tarea"), on_delete=models.CASCADE, related_name="submissions"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("estudiante"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("respuesta"), blank=True)
    file = models.FileField(_("archivo"), upload_to="engagement/submissions/", blank=True)
    submitted_at = models.DateTimeField(_("entregada"))
    late = models.BooleanField(_("fuera de plazo"), default=False)
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    score = models.PositiveSmallIntegerField(_("puntuación"), null=True, blank=True)
    feedback = models.TextField(_("comentarios"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corregida por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("corregida"), null=True, blank=True)
    # The AI feedback draft is owed since then; found by the sweeper if the task enqueued
    # then was lost (courseops.core.pending).
    feedback_due_since = models.DateTimeField(
        _("corrección por redactar desde"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("entrega")
        verbose_name_plural = _("entregas")
        indexes = [
            models.Index(
                fields=["feedback_due_since"],
                condition=Q(feedback_due_since__isnull=False),
                name="submission_feedback_due",
            )
        ]
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student"], name="one_submission_each")
        ]

    def __str__(self):
        return f"{self.assignment} — {self.student_id}"


class KnowledgeArticle(models.Model):
    """An answer staff stand behind; FAQ replies are written only from these."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Equipo")
        QUESTION = "question", _("Pregunta respondida")

    question = models.CharField(_("pregunta"), max_length=300)
    answer = models.TextField(_("respuesta"))
    language = models.CharField(_("idioma"), max_length=2, default="es")
    tags = models.JSONField(_("etiquetas"), default=list, blank=True)
    source = models.CharField(
        _("origen"), max_length=10, choices=Source.choices, default=Source.STAFF
    )
    active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("artículo de ayuda")
        verbose_name_plural = _("base de conocimiento")
        ordering = ["question"]

    def __str__(self):
        return self.question


class Question(MarkedModel):
    """A student's question and what happened to it: answered from the knowledge base
    (with the articles cited) or handed over to staff with a ticket."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        API = "api", "API"
        EMAIL = "email", _("Correo")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibida")
        DRAFTED = "drafted", _("Respuesta en revisión")
        ANSWERED = "answered", _("Respondida")
        HANDED_OVER = "handed_over", _("Pasada al equipo")

    student = models.ForeignKey(
        Student,
        verbose_name=_("estudiante"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("email"))
    text = models.TextField(_("pregunta"))
    language = models.CharField(_("idioma"), max_length=2, default="es")
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("estado"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    articles = models.ManyToManyField(
        KnowledgeArticle, verbose_name=_("artículos citados"), blank=True, related_name="+"
    )
    confidence = models.CharField(_("confianza"), max_length=8, blank=True)
    handover_reason = models.CharField(_("motivo del traspaso"), max_length=200, blank=True)
    draft = models.ForeignKey(
        "reviews.Draft",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("borrador"),
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ticket"),
    )
    # The email's Message-ID, so a retried inbound webhook records the question once.
    message_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("id del mensaje de correo")
    )
    helpful = models.BooleanField(_("¿le ayudó?"), null=True, blank=True)
    created_at = models.DateTimeField(_("recibida"), auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(_("respondida"), null=True, blank=True)
    # The answer (or the handover) is owed since then; found by the sweeper if the task
    # enqueued then was lost (courseops.core.pending).
    answer_due_since = models.DateTimeField(
        _("respuesta por redactar desde"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("pregunta")
        verbose_name_plural = _("preguntas")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="question_once_per_email"
            )
        ]
        indexes = [
            models.Index(
                fields=["answer_due_since"],
                condition=Q(answer_due_since__isnull=False),
                name="question_answer_due",
            )
        ]

    def __str__(self):
        return self.text[:80]


class Certificate(models.Model):
    """Proof a student completed their plan's course, verifiable by anyone at its URL."""

    student = models.ForeignKey(
        Student, verbose_name=_("estudiante"), on_delete=models.CASCADE, related_name="+"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("código"), max_length=32, unique=True)
    full_name = models.CharField(_("a nombre de"), max_length=200)
    issued_at = models.DateTimeField(_("emitido"))
    pdf = models.FileField(_("PDF"), upload_to="engagement/certificates/", blank=True)

    class Meta:
        verbose_name = _("certificado")
        verbose_name_plural = _("certificados")
        constraints = [
            models.UniqueConstraint(fields=["student", "plan"], name="one_certificate_per_plan")
        ]

    def __str__(self):
        return f"{self.full_name} — {self.plan} ({self.code})"


# The onboarding drip lives in its own package; imported here so Django registers its models.
from engagement.drip.models import DripMessage, DripSend, PlanDrip  # noqa: E402, F401
