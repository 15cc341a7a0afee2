"""Contacts (one per person, linked to the student when they are one), their consents per
purpose, what they did (scored, decaying), and segments of them."""

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.core.models import MarkedModel
from courseops.operations.fields import EncryptedCharField
from students.models import Language, Student, TypeformForm


class Stage(models.TextChoices):
    # In the order a person usually moves; intake only ever moves a contact forward.
    SUBSCRIBER = "subscriber", _("Suscriptor")
    LEAD = "lead", _("Lead")
    WEBINAR_REGISTRANT = "webinar_registrant", _("Inscrito a webinar")
    CUSTOMER = "customer", _("Cliente")
    CHURNED = "churned", _("Ex cliente")


STAGE_ORDER = list(Stage.values)


class Tag(models.Model):
    """A label on contacts: staff tags and the interests people tick on forms."""

    name = models.CharField(_("nombre"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("etiqueta")
        verbose_name_plural = _("etiquetas")
        ordering = ["name"]

    def __str__(self):
        return self.name


class LeadForm(models.Model):
    """A form people subscribe through (web, API, landing page): its consent texts and
    whether it asks for a confirmation by email (double opt-in)."""

    slug = models.SlugField(_("identificador"), unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    double_opt_in = models.BooleanField(
        _("doble confirmación"),
        default=True,
        help_text=_("Se envía un enlace para confirmar la suscripción antes del primer envío."),
    )
    newsletter_text = models.TextField(
        _("texto del consentimiento (correo)"),
        default=_("Quiero recibir por correo novedades, clases gratuitas y ofertas."),
    )
    sms_text = models.TextField(
        _("texto del consentimiento (SMS)"),
        default=_("Quiero recibir avisos y ofertas por SMS. Responde STOP para darte de baja."),
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("etiquetas que pone"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("activo"), default=True)
    # The Typeform lead form (students' mapping) whose responses come in through this one.
    typeform = models.OneToOneField(
        TypeformForm,
        verbose_name=_("formulario de Typeform"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("formulario de captación")
        verbose_name_plural = _("formularios de captación")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Submission(models.Model):
    """One response from an outside form (a Typeform lead form), kept once per the
    sender's id: a redelivery finds it and changes nothing; an invalid one keeps its
    errors for staff."""

    source = models.CharField(_("origen"), max_length=40)
    external_id = models.CharField(_("id externo"), max_length=200)
    form = models.ForeignKey(
        LeadForm, verbose_name=_("formulario"), on_delete=models.PROTECT, related_name="+"
    )
    lead = models.ForeignKey(
        "Lead",
        verbose_name=_("contacto"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    data = models.JSONField(_("datos"), default=dict)
    errors = models.JSONField(_("errores"), default=dict, blank=True)
    received_at = models.DateTimeField(_("recibido"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("respuesta de formulario")
        verbose_name_plural = _("respuestas de formularios")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="marketing_submission_once"
            )
        ]

    def __str__(self):
        return f"{self.source} {self.external_id}"


# Scores are stored as points at a fixed epoch: an action worth p at time t is stored as
# p * 2^((t - epoch) / half-life), so the score now is stored * 2^(-(now - epoch) / hl).
# Decay then needs no nightly rewrite, ordering by the stored value is ordering by score,
# and "score >= X" is one indexed comparison with a threshold computed in Python.
SCORE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def score_scale(at):
    half_life = settings.MARKETING_SCORE_HALF_LIFE_DAYS * 86400
    return 2 ** ((at - SCORE_EPOCH).total_seconds() / half_life)


class Lead(MarkedModel):
    # Stored lowercased; the plain index serves the exact lookups the outbox's hooks and
    # the suppression joins make (the unique index on lower(email) decides races).
    email = models.EmailField(_("email"), max_length=254, db_index=True)
    name = models.CharField(_("nombre"), max_length=200, blank=True)
    # Encrypted at rest; searchable, so filter(phone=...) matches by a keyed hash.
    phone = EncryptedCharField(
        _("teléfono"), max_length=20, blank=True, help_text="E.164", searchable=True
    )
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    time_zone = models.CharField(_("zona horaria"), max_length=64, default=settings.TIME_ZONE)
    country = models.CharField(_("país"), max_length=2, blank=True)
    interests = models.ManyToManyField(
        Tag, verbose_name=_("intereses"), blank=True, related_name="interested_leads"
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("etiquetas"), blank=True, related_name="tagged_leads"
    )
    # One person, one contact: the student this contact is, when they are one.
    student = models.OneToOneField(
        Student,
        verbose_name=_("estudiante"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead",
    )
    stage = models.CharField(
        _("etapa"), max_length=20, choices=Stage.choices, default=Stage.SUBSCRIBER
    )
    score_points = models.FloatField(_("puntos (a la época)"), default=0, db_index=True)
    form = models.ForeignKey(
        LeadForm,
        verbose_name=_("primer formulario"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    first_source = models.CharField(_("primer origen"), max_length=40)
    first_utm = models.JSONField(_("primer UTM"), default=dict, blank=True)
    last_source = models.CharField(_("último origen"), max_length=40)
    last_utm = models.JSONField(_("último UTM"), default=dict, blank=True)
    last_seen_at = models.DateTimeField(_("última actividad"), default=timezone.now)
    ga_client_id = models.CharField(
        _("id de cliente de Google Analytics"),
        max_length=100,
        blank=True,
        help_text=_("De la cookie _ga de la landing; solo se usa con su consentimiento."),
    )
    # The double opt-in email is owed since then; found by the sweeper if the task
    # enqueued then was lost (courseops.core.pending).
    confirmation_due_since = models.DateTimeField(
        _("confirmación por enviar desde"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("contacto")
        verbose_name_plural = _("contactos")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="marketing_lead_unique_email_ci"),
        ]
        indexes = [
            models.Index(fields=["stage"], name="marketing_lead_stage"),
            # LIKE '<blind index>:%' on the encrypted phone.
            models.Index(
                fields=["phone"], name="marketing_lead_phone", opclasses=["text_pattern_ops"]
            ),
            models.Index(
                fields=["confirmation_due_since"],
                condition=models.Q(confirmation_due_since__isnull=False),
                name="marketing_lead_confirm_due",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def score(self):
        return round(self.score_points / score_scale(timezone.now()), 1)

    @staticmethod
    def points_threshold(score, *, now=None):
        """The stored value a contact needs now to have at least `score`."""
        return score * score_scale(now or timezone.now())


class Purpose(models.TextChoices):
    NEWSLETTER = "newsletter_email", _("Newsletter por correo")
    MARKETING_SMS = "marketing_sms", _("Marketing por SMS")
    ANALYTICS = "analytics", _("Medición de visitas y compras (Google Analytics)")


# The channel a purpose's messages use; measurement sends no message (no channel).
PURPOSE_CHANNEL = {Purpose.NEWSLETTER: "email", Purpose.MARKETING_SMS: "sms"}


class Consent(models.Model):
    """A contact's consent for one purpose: when, where, the words shown, from which IP.

    Valid only when granted (confirmed, with double opt-in) and the address is not on the
    outbox's suppression list. Every change leaves an audit entry (the history).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente de confirmar")
        GRANTED = "granted", _("Concedido")
        WITHDRAWN = "withdrawn", _("Retirado")

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="consents", verbose_name=_("contacto")
    )
    purpose = models.CharField(_("finalidad"), max_length=20, choices=Purpose.choices)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices)
    source = models.CharField(_("dónde"), max_length=100)
    text = models.TextField(_("texto mostrado"))
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    requested_at = models.DateTimeField(_("solicitado"))
    granted_at = models.DateTimeField(_("concedido"), null=True, blank=True)
    confirmed_ip = models.GenericIPAddressField(_("IP de la confirmación"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("retirado"), null=True, blank=True)
    withdrawn_source = models.CharField(_("retirado desde"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("consentimiento")
        verbose_name_plural = _("consentimientos")
        constraints = [
            models.UniqueConstraint(fields=["lead", "purpose"], name="marketing_consent_once")
        ]
        indexes = [models.Index(fields=["purpose", "status"], name="marketing_consent_status")]

    def __str__(self):
        return f"{self.lead_id} {self.purpose} ({self.status})"


class Action(models.TextChoices):
    CLICKED = "clicked", _("Hizo clic")
    VISITED_LANDING = "visited_landing", _("Visitó una landing")
    WEBINAR_REGISTERED = "webinar_registered", _("Se inscribió a un webinar")
    WEBINAR_ATTENDED = "webinar_attended", _("Asistió a un webinar")
    CHECKOUT_STARTED = "checkout_started", _("Empezó un pago")
    SIGNED_IN = "signed_in", _("Entró al portal")


class Activity(models.Model):
    """Something a contact did that counts (opens never do: machines open mail too)."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="activities", verbose_name=_("contacto")
    )
    action = models.CharField(_("acción"), max_length=30, choices=Action.choices)
    # What it was about, and the key that makes one action count once.
    ref = models.CharField(_("referencia"), max_length=200)
    points = models.FloatField(_("puntos"))
    # points * score_scale(occurred_at): what it adds to the contact's stored score.
    weight = models.FloatField(_("peso"))
    occurred_at = models.DateTimeField(_("cuándo"))

    class Meta:
        verbose_name = _("actividad")
        verbose_name_plural = _("actividades")
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "ref"], name="marketing_activity_once")
        ]
        indexes = [
            models.Index(fields=["lead", "action", "occurred_at"], name="marketing_activity_lead")
        ]

    def __str__(self):
        return f"{self.lead_id} {self.action} {self.ref}"


class Segment(models.Model):
    """Who a campaign or sequence is for: rules compiled to one query (see
    `marketing.services.segments`), or a static list of contacts picked by staff."""

    class Kind(models.TextChoices):
        RULES = "rules", _("Por reglas")
        STATIC = "static", _("Lista fija")

    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.RULES)
    rules = models.JSONField(
        _("reglas"),
        default=dict,
        blank=True,
        help_text=_('{"match": "all" | "any", "conditions": [condición o grupo, ...]}'),
    )
    members = models.ManyToManyField(
        Lead, verbose_name=_("contactos (lista fija)"), blank=True, related_name="static_segments"
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("segmento")
        verbose_name_plural = _("segmentos")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    """A newsletter to one or more segments, optionally A/B tested, sent in batches."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        SCHEDULED = "scheduled", _("Programada")
        SENDING = "sending", _("Enviando")
        PAUSED = "paused", _("En pausa")
        SENT = "sent", _("Enviada")
        CANCELED = "canceled", _("Cancelada")

    class Schedule(models.TextChoices):
        FIXED = "fixed", _("A una hora fija")
        LOCAL_TIME = "local_time", _("A una hora local de cada contacto")
        BEST_HOUR = "best_hour", _("A la mejor hora de cada contacto (en 24 h)")

    class Phase(models.TextChoices):
        ALL = "all", _("Todos")
        TEST = "test", _("Prueba A/B")
        REST = "rest", _("Resto con la ganadora")

    class Metric(models.TextChoices):
        CLICKS = "clicks", _("Clics únicos")
        CONVERSIONS = "conversions", _("Conversiones")

    name = models.CharField(_("nombre"), max_length=200)
    segments = models.ManyToManyField(Segment, verbose_name=_("segmentos"), related_name="+")
    sender = models.CharField(
        _("remitente"), max_length=320, blank=True, help_text=_("Vacío: el remitente por defecto.")
    )
    preheader = models.CharField(_("preencabezado"), max_length=200, blank=True)
    topics = models.CharField(
        _("temas (para la IA)"),
        max_length=300,
        blank=True,
        help_text=_("Separados por comas; la IA redacta con ellos y los próximos webinars."),
    )
    offer = models.ForeignKey(
        "marketing.Offer",
        verbose_name=_("oferta"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        limit_choices_to={"status": "active"},
        help_text=_("Cada correo lleva su texto, su código y el enlace personal del contacto."),
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    schedule = models.CharField(
        _("programación"), max_length=12, choices=Schedule.choices, default=Schedule.FIXED
    )
    send_at = models.DateTimeField(
        _("enviar a partir de"),
        null=True,
        blank=True,
        help_text=_(
            "Hora fija: cuándo sale. Hora local: desde cuándo; cada contacto la recibe en "
            "la primera «hora local» de su zona a partir de aquí."
        ),
    )
    local_time = models.TimeField(_("hora local"), default="10:00")
    test_share = models.PositiveSmallIntegerField(
        _("porcentaje de prueba A/B"),
        default=20,
        help_text=_("Con 2 a 4 variantes: a qué parte del segmento va la prueba."),
    )
    test_wait_hours = models.PositiveSmallIntegerField(_("espera de la prueba (horas)"), default=4)
    min_sample = models.PositiveIntegerField(
        _("muestra mínima por variante"),
        default=100,
        help_text=_("La prueba se amplía lo necesario para llegar a esta muestra."),
    )
    winner_metric = models.CharField(
        _("la ganadora, por"), max_length=12, choices=Metric.choices, default=Metric.CLICKS
    )
    batch_size = models.PositiveIntegerField(
        _("mensajes por minuto"), default=500, help_text=_("El ritmo de envío.")
    )
    phase = models.CharField(_("fase"), max_length=5, choices=Phase.choices, blank=True)
    effective_share = models.PositiveSmallIntegerField(_("porcentaje de prueba usado"), null=True)
    test_ends_at = models.DateTimeField(_("fin de la prueba"), null=True, blank=True)
    winner = models.ForeignKey(
        "Variant",
        verbose_name=_("ganadora"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    winner_note = models.CharField(_("sobre la ganadora"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("inicio del envío"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin del envío"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaña")
        verbose_name_plural = _("campañas")
        ordering = ["-id"]

    def __str__(self):
        return self.name


class Variant(models.Model):
    """One version (subject and/or body) of a campaign. What goes out is the approved
    text, set only by approving its review draft (kind `newsletter`)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="variants", verbose_name=_("campaña")
    )
    label = models.CharField(_("variante"), max_length=1, default="A")
    subject = models.CharField(_("asunto"), max_length=200)
    body_html = models.TextField(_("cuerpo (HTML)"), help_text=_("{nombre}: el nombre de pila."))
    # What staff wrote (Markdown, HTML allowed); body_html is rendered from it on save.
    body_markdown = models.TextField(_("texto (Markdown)"), blank=True)
    approved_subject = models.CharField(_("asunto aprobado"), max_length=200, blank=True)
    approved_body = models.TextField(_("cuerpo aprobado"), blank=True)
    approved_at = models.DateTimeField(_("aprobada"), null=True, blank=True)

    class Meta:
        verbose_name = _("variante")
        verbose_name_plural = _("variantes")
        ordering = ["campaign", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="marketing_variant_label")
        ]

    def __str__(self):
        return f"{self.campaign} · {self.label}"


class Recipient(models.Model):
    """One contact of a campaign, snapshotted when the send starts. `status` moves from
    pending to queued in the same transaction that puts the email in the outbox: that,
    not the fetch, is the checkpoint a resumed send starts from."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        QUEUED = "queued", _("En la bandeja de salida")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("campaña")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="+", verbose_name=_("contacto")
    )
    bucket = models.PositiveSmallIntegerField(
        verbose_name=_("grupo de reparto")
    )  # 0..99, fixed per contact and campaign
    variant = models.ForeignKey(
        Variant, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("variante")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("estado")
    )
    message = models.ForeignKey(
        "messaging.OutboundMessage",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("mensaje"),
    )
    queued_at = models.DateTimeField(null=True, verbose_name=_("en cola desde"))
    clicked_at = models.DateTimeField(null=True, verbose_name=_("clic"))  # first human click
    converted_at = models.DateTimeField(null=True, verbose_name=_("conversión"))

    class Meta:
        verbose_name = _("destinatario")
        verbose_name_plural = _("destinatarios")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="marketing_recipient_once")
        ]
        indexes = [
            models.Index(
                fields=["campaign", "bucket", "id"],
                name="marketing_recipient_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self):
        return f"{self.campaign_id} → {self.lead_id} ({self.status})"


class TrackingEvent(models.Model):
    """An open or a click. Machine ones (link scanners, privacy proxies, seconds after
    delivery) are kept but flagged, and no decision ever counts them."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Apertura")
        CLICK = "click", _("Clic")

    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="events", verbose_name=_("destinatario")
    )
    kind = models.CharField(max_length=5, choices=Kind.choices, verbose_name=_("tipo"))
    url = models.URLField(max_length=1000, blank=True, verbose_name=_("enlace"))
    machine = models.BooleanField(default=False, verbose_name=_("visita automática"))
    reason = models.CharField(max_length=100, blank=True, verbose_name=_("motivo"))
    user_agent = models.CharField(max_length=300, blank=True, verbose_name=_("navegador"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("cuándo"))

    class Meta:
        verbose_name = _("evento de seguimiento")
        verbose_name_plural = _("eventos de seguimiento")

    def __str__(self):
        return f"{self.kind} {self.recipient_id}{' (máquina)' if self.machine else ''}"


class Sequence(models.Model):
    """A nurture sequence: steps a contact walks through after an entry trigger, until the
    end or the goal (becoming a customer)."""

    class Trigger(models.TextChoices):
        FORM = "form", _("Se suscribe con el formulario")
        WEBINAR_ATTENDED = "webinar_attended", _("Asistió a un webinar")
        WEBINAR_MISSED = "webinar_missed", _("Se inscribió y no asistió a un webinar")
        CHECKOUT_ABANDONED = "checkout_abandoned", _("Empezó un pago y no lo terminó")
        WIN_BACK = "win_back", _("Canceló su suscripción (recuperación)")

    name = models.CharField(_("nombre"), max_length=200)
    trigger = models.CharField(_("entrada"), max_length=20, choices=Trigger.choices)
    trigger_form = models.ForeignKey(
        LeadForm,
        verbose_name=_("formulario"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Para la entrada por formulario."),
    )
    sender = models.CharField(
        _("remitente"), max_length=320, blank=True, help_text=_("Vacío: el remitente por defecto.")
    )
    active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("secuencia")
        verbose_name_plural = _("secuencias")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Step(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("Correo")
        SMS = "sms", _("SMS")
        WAIT = "wait", _("Esperar")
        BRANCH = "branch", _("Bifurcar")

    class Condition(models.TextChoices):
        CLICKED = "clicked", _("Hizo clic desde que entró")
        REGISTERED = "registered", _("Se inscribió a un webinar desde que entró")

    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="steps", verbose_name=_("secuencia")
    )
    position = models.PositiveIntegerField(_("orden"))
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    wait_days = models.PositiveSmallIntegerField(_("días de espera"), default=0)
    subject = models.CharField(_("asunto"), max_length=200, blank=True)
    body = models.TextField(
        _("texto (HTML en correos)"),
        blank=True,
        help_text=_(
            "{nombre}: el nombre de pila. {personal}: una frase de la IA para cada contacto."
        ),
    )
    # What staff wrote for an email step (Markdown, HTML allowed); `body` is rendered from it.
    body_markdown = models.TextField(_("texto (Markdown)"), blank=True)
    approved_subject = models.CharField(_("asunto aprobado"), max_length=200, blank=True)
    approved_body = models.TextField(_("texto aprobado"), blank=True)
    offer = models.ForeignKey(
        "marketing.Offer",
        verbose_name=_("oferta"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sequence_steps",
        limit_choices_to={"status": "active"},
        help_text=_("El mensaje lleva su texto, su código y el enlace personal del contacto."),
    )
    condition = models.CharField(_("si"), max_length=12, choices=Condition.choices, blank=True)
    jump_to = models.PositiveIntegerField(
        _("saltar al orden"), null=True, blank=True, help_text=_("Si se cumple la condición.")
    )

    class Meta:
        verbose_name = _("paso")
        verbose_name_plural = _("pasos")
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "position"], name="marketing_step_order")
        ]

    def __str__(self):
        return f"{self.position}. {self.get_kind_display()}"


class Enrolment(models.Model):
    """One contact in one sequence. `done_position` is the order of the last step done:
    the next step is the first one after it, whatever staff changed since."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("En curso")
        COMPLETED = "completed", _("Terminó los pasos")
        GOAL = "goal", _("Alcanzó el objetivo")

    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("secuencia")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("contacto")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("estado")
    )
    done_position = models.IntegerField(default=-1, verbose_name=_("último paso hecho"))
    next_run_at = models.DateTimeField(default=timezone.now, verbose_name=_("próximo paso"))
    # The AI's personal sentence for the step it was written for ({personal} in its text).
    personal_line = models.TextField(blank=True, verbose_name=_("frase personal"))
    personal_step = models.ForeignKey(
        Step,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("paso personalizado"),
    )
    enrolled_at = models.DateTimeField(default=timezone.now, verbose_name=_("inscrito"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminado"))
    # The consent (purpose) the next step waits for: asked, not yet confirmed (double
    # opt-in). The confirmation wakes the enrolment; until then the step is held, not skipped.
    waiting_for_consent = models.CharField(
        _("espera el consentimiento"), max_length=20, choices=Purpose.choices, blank=True
    )

    class Meta:
        verbose_name = _("inscripción en secuencia")
        verbose_name_plural = _("inscripciones en secuencias")
        constraints = [
            models.UniqueConstraint(fields=["sequence", "lead"], name="marketing_enrolment_once")
        ]
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="marketing_enrolment_due",
                condition=models.Q(status="active"),
            )
        ]

    def __str__(self):
        return f"{self.lead_id} en {self.sequence_id} ({self.status})"


# Landing pages, social posts and offers live in their own packages; imported here so
# Django registers their models.
from marketing.analytics.models import Conversion  # noqa: E402, F401
from marketing.audiences.models import AdAudience, AudienceMember, AudienceSync  # noqa: E402, F401
from marketing.blog.models import BlogPost  # noqa: E402, F401
from marketing.crm.models import HubSpotSync  # noqa: E402, F401
from marketing.funnel.models import ExternalEvent, MarketingCost  # noqa: E402, F401
from marketing.landing.models import LandingPage, LandingSignup, LandingView  # noqa: E402, F401
from marketing.offers.models import InboxCursor, Offer, OfferRedemption  # noqa: E402, F401
from marketing.social.models import (  # noqa: E402, F401
    SocialBrief,
    SocialChannel,
    SocialClick,
    SocialPost,
)
