"""The drip's messages per plan (staff edit them) and what went to each student."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from students.models import Plan, Student


class DripGoal(models.TextChoices):
    """The step a message asks for; reached means the message is not sent (goals.py)."""

    SIGN_IN = "sign_in", _("Entrar al portal")
    FIRST_LESSON = "first_lesson", _("Ver su primera lección")
    FIRST_WEBINAR = "first_webinar", _("Apuntarse a su primer webinar")


class DripMessage(models.Model):
    """One message of a plan's drip: sent on `day` after the student's onboarding, in their
    own time zone, written from these texts (Spanish, and English for English speakers)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="drip_messages"
    )
    goal = models.CharField(
        _("objetivo"),
        max_length=20,
        choices=DripGoal.choices,
        help_text=_("No se envía a quien ya lo hizo."),
    )
    day = models.PositiveSmallIntegerField(
        _("día"),
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Días tras el alta, en la zona horaria del estudiante (a las 10:00)."),
    )
    subject_es = models.CharField(_("asunto"), max_length=200)
    body_es = models.TextField(
        _("texto (Markdown)"), help_text=_("{nombre}: el nombre de pila. La IA lo personaliza.")
    )
    subject_en = models.CharField(_("asunto en inglés"), max_length=200, blank=True)
    body_en = models.TextField(
        _("texto en inglés (Markdown)"),
        blank=True,
        help_text=_("Vacío: los estudiantes en inglés reciben el texto en español."),
    )
    active = models.BooleanField(_("activo"), default=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("mensaje de bienvenida por etapas")
        verbose_name_plural = _("mensajes de bienvenida por etapas")
        ordering = ["plan", "day"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "goal"], name="drip_message_once_per_goal"),
            models.CheckConstraint(condition=Q(day__gte=1), name="drip_message_day_positive"),
        ]

    def __str__(self):
        return f"{self.plan}: {_('día')} {self.day} ({self.get_goal_display()})"

    def texts(self, language):
        """(subject, Markdown body) in `language`: English when written, else Spanish."""
        if language == "en" and self.subject_en.strip() and self.body_en.strip():
            return self.subject_en, self.body_en
        return self.subject_es, self.body_es


class DripSend(models.Model):
    """One drip step for one student: the unique (student, goal) row is the claim that
    makes it go at most once, whatever plan they move to or however often scans run."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Pendiente de redactar")
        DRAFTED = "drafted", _("Redactado")
        SENT = "sent", _("Enviado")
        SKIPPED = "skipped", _("No enviado")

    student = models.ForeignKey(
        Student, verbose_name=_("estudiante"), on_delete=models.CASCADE, related_name="+"
    )
    goal = models.CharField(_("objetivo"), max_length=20, choices=DripGoal.choices)
    drip_message = models.ForeignKey(
        DripMessage,
        verbose_name=_("mensaje"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="sends",
    )
    day = models.PositiveSmallIntegerField(_("día"))
    due_at = models.DateTimeField(_("tocaba el"))
    status = models.CharField(
        _("estado"), max_length=16, choices=Status.choices, default=Status.CLAIMED
    )
    scan_id = models.CharField(max_length=32, db_index=True, verbose_name=_("revisión"))
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
        verbose_name=_("correo"),
    )
    skipped_reason = models.CharField(_("motivo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)

    class Meta:
        verbose_name = _("envío de bienvenida por etapas")
        verbose_name_plural = _("envíos de bienvenida por etapas")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "goal"], name="drip_send_once_per_goal")
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="claimed"), name="engagement_drip_todo"
            ),
        ]

    def __str__(self):
        return f"{self.student_id}: {self.get_goal_display()} ({self.get_status_display()})"


class PlanDrip(Plan):
    """A plan seen from its drip: the admin page where staff edit its messages."""

    class Meta:
        proxy = True
        verbose_name = _("bienvenida por etapas de un plan")
        verbose_name_plural = _("bienvenida por etapas (por plan)")
