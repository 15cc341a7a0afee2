"""Plans, students and what they were given, plus the onboarding pipeline's records."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseops.core.models import MarkedModel
from courseops.operations.fields import EncryptedCharField


class Language(models.TextChoices):
    SPANISH = "es", "Español"
    ENGLISH = "en", "English"
    PORTUGUESE = "pt", "Português"


class Material(models.Model):
    """Something a plan gives access to: a course in the LMS, a PDF, a recording, a link."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Curso")
        DOCUMENT = "document", _("Documento")
        VIDEO = "video", _("Video")
        LINK = "link", _("Enlace")

    title = models.CharField(_("título"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices, default=Kind.LINK)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    file = models.FileField(_("archivo"), upload_to="materials/", blank=True)
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    # The course id in the external LMS, for kind=course when an LMS backend is configured.
    lms_course_id = models.CharField(_("id del curso en el LMS"), max_length=64, blank=True)
    active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materiales")
        ordering = ["title"]

    def __str__(self):
        return self.title


class Plan(models.Model):
    slug = models.SlugField(_("identificador"), unique=True)
    name = models.CharField(_("nombre"), max_length=100)
    description = models.TextField(_("descripción"), blank=True)
    price = models.DecimalField(_("precio"), max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(_("moneda"), max_length=3, default="USD")
    stripe_price_id = models.CharField(_("precio en Stripe"), max_length=100, blank=True)
    materials = models.ManyToManyField(
        Material, verbose_name=_("materiales"), blank=True, related_name="plans"
    )
    # Which webinars: the webinars app links each webinar to the plans that may attend.
    includes_live_webinars = models.BooleanField(_("incluye webinars en vivo"), default=True)
    # A paid plan is only given through Stripe: a registration by a free door (form, API,
    # CSV) waits for payment with a Checkout link, unless staff grant it by hand.
    requires_payment = models.BooleanField(
        _("requiere pago"),
        default=False,
        help_text=_(
            "Las inscripciones por formulario, API o CSV quedan pendientes de pago y reciben "
            "un enlace de pago; el acceso llega con el pago en Stripe."
        ),
    )
    active = models.BooleanField(_("activo"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("planes")
        ordering = ["sort_order", "price"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_price_id"],
                condition=~models.Q(stripe_price_id=""),
                name="plan_unique_stripe_price",
            )
        ]

    def __str__(self):
        return self.name


class Student(MarkedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pendiente de pago")
        ONBOARDING = "onboarding", _("En alta")
        ACTIVE = "active", _("Activo")
        PAST_DUE = "past_due", _("Pago pendiente")
        INACTIVE = "inactive", _("Sin acceso")

    class Source(models.TextChoices):
        TYPEFORM = "typeform", "Typeform"
        API = "api", "API"
        CSV = "csv", "CSV"
        STRIPE = "stripe", "Stripe"
        ADMIN = "admin", _("Admin")
        WEB = "web", _("Página de registro")
        THINKIFIC = "thinkific", _("Importado de Thinkific")
        TEACHABLE = "teachable", _("Importado de Teachable")

    full_name = models.CharField(_("nombre completo"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    # Encrypted at rest; searchable, so filter(phone=...) matches by a keyed hash.
    phone = EncryptedCharField(
        _("teléfono"), max_length=20, blank=True, help_text="E.164", searchable=True
    )
    country = models.CharField(_("país"), max_length=2, blank=True, help_text="ISO 3166-1")
    time_zone = models.CharField(_("zona horaria"), max_length=64, default=settings.TIME_ZONE)
    language = models.CharField(
        _("idioma"), max_length=2, choices=Language.choices, default=Language.SPANISH
    )
    interests = models.JSONField(_("intereses"), default=list, blank=True)
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="students"
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.ONBOARDING
    )
    source = models.CharField(_("origen"), max_length=20, choices=Source.choices)
    utm_source = models.CharField(max_length=100, blank=True, verbose_name=_("origen (utm_source)"))
    utm_medium = models.CharField(max_length=100, blank=True, verbose_name=_("medio (utm_medium)"))
    utm_campaign = models.CharField(
        max_length=100, blank=True, verbose_name=_("campaña (utm_campaign)")
    )
    utm_term = models.CharField(max_length=100, blank=True, verbose_name=_("término (utm_term)"))
    utm_content = models.CharField(
        max_length=100, blank=True, verbose_name=_("contenido (utm_content)")
    )
    consent_given = models.BooleanField(_("consentimiento"), default=False)
    consent_at = models.DateTimeField(_("consentimiento el"), null=True, blank=True)
    # SMS needs its own explicit yes (webinar reminders): when, and the text the person saw.
    sms_consent_at = models.DateTimeField(_("acepta SMS desde"), null=True, blank=True)
    sms_consent_text = models.TextField(_("texto del consentimiento de SMS"), blank=True)
    lms_user_id = models.CharField(_("usuario en el LMS"), max_length=64, blank=True)
    stripe_customer_id = models.CharField(
        _("cliente en Stripe"), max_length=64, blank=True, db_index=True
    )
    materials = models.ManyToManyField(
        Material,
        through="StudentMaterial",
        related_name="students",
        blank=True,
        verbose_name=_("materiales"),
    )
    created_at = models.DateTimeField(_("registrado"), auto_now_add=True, db_index=True)
    activated_at = models.DateTimeField(_("activo desde"), null=True, blank=True)
    # The LMS must follow a change of access (a cancellation, a renewal) made then: the
    # sweeper finds the student by it if the task enqueued then was lost
    # (courseops.core.pending).
    lms_access_due_since = models.DateTimeField(
        _("acceso al LMS por sincronizar desde"), null=True, blank=True
    )
    lms_access_due_attempts = models.PositiveSmallIntegerField(
        _("intentos fallidos de sincronizar el LMS"), default=0, editable=False
    )
    # The new plan's materials, webinars and LMS courses are owed since then (a plan
    # change); found by the sweeper if the task enqueued then was lost.
    plan_grant_due_since = models.DateTimeField(_("plan por conceder desde"), null=True, blank=True)
    plan_grant_due_attempts = models.PositiveSmallIntegerField(
        _("intentos fallidos de conceder el plan"), default=0, editable=False
    )
    # Staff asked for the welcome again then; found by the sweeper if the task was lost.
    welcome_resend_due_since = models.DateTimeField(
        _("bienvenida por redactar de nuevo desde"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("estudiante")
        verbose_name_plural = _("estudiantes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="student_unique_email_ci"),
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="student_unique_stripe_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            # Serves filter(phone=...), a prefix match on the blind index (LIKE 'hash:%').
            models.Index(
                fields=["phone"], name="student_phone_blind_index", opclasses=["text_pattern_ops"]
            ),
            models.Index(
                fields=["lms_access_due_since"],
                condition=models.Q(lms_access_due_since__isnull=False),
                name="student_lms_access_due",
            ),
            models.Index(
                fields=["plan_grant_due_since"],
                condition=models.Q(plan_grant_due_since__isnull=False),
                name="student_plan_grant_due",
            ),
            models.Index(
                fields=["welcome_resend_due_since"],
                condition=models.Q(welcome_resend_due_since__isnull=False),
                name="student_welcome_resend_due",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def first_name(self):
        return self.full_name.split()[0] if self.full_name.strip() else ""


# Students moved in from an old LMS (students.intake.lms_import): history, never contacted
# by the automations that greet a new student (onboarding, the welcome drip).
IMPORTED_SOURCES = (Student.Source.THINKIFIC, Student.Source.TEACHABLE)


class StudentMaterial(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, verbose_name=_("estudiante"))
    material = models.ForeignKey(Material, on_delete=models.PROTECT, verbose_name=_("material"))
    granted_at = models.DateTimeField(default=timezone.now, verbose_name=_("concedido"))

    class Meta:
        verbose_name = _("material asignado")
        verbose_name_plural = _("materiales asignados")
        constraints = [
            models.UniqueConstraint(fields=["student", "material"], name="material_granted_once")
        ]

    def __str__(self):
        return f"{self.student_id} -> {self.material_id}"


# Stripe's subscription statuses as staff say them (Stripe's own ids are what is stored).
STRIPE_STATUSES = [
    ("active", _("Activa")),
    ("trialing", _("En prueba")),
    ("past_due", _("Pago atrasado")),
    ("unpaid", _("Impagada")),
    ("canceled", _("Cancelada")),
    ("incomplete", _("Incompleta")),
    ("incomplete_expired", _("Incompleta y vencida")),
    ("paused", _("En pausa")),
]


class Subscription(models.Model):
    """Mirror of a Stripe subscription; Stripe is the source of truth, re-read on events."""

    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("estudiante"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("plan")
    )
    stripe_subscription_id = models.CharField(
        max_length=64, unique=True, verbose_name=_("id de la suscripción en Stripe")
    )
    # Stripe's own status: trialing, active, past_due, unpaid, canceled, incomplete, ...
    status = models.CharField(_("estado"), max_length=30)
    current_period_end = models.DateTimeField(
        null=True, blank=True, verbose_name=_("fin del periodo actual")
    )
    cancel_at_period_end = models.BooleanField(
        default=False, verbose_name=_("se cancela al final del periodo")
    )
    # Stripe's `start_date` and `ended_at`: the paying lifetime churn, LTV and cohort
    # retention are measured on (our own created_at is only when we first heard of it).
    started_at = models.DateTimeField(_("empezó"), null=True, blank=True)
    ended_at = models.DateTimeField(_("terminó"), null=True, blank=True)
    # Stripe's `created` of the newest event applied, so an older event arriving late
    # never overwrites newer state.
    stripe_updated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("actualizado en Stripe")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("suscripción")
        verbose_name_plural = _("suscripciones")

    def __str__(self):
        return f"{self.stripe_subscription_id} ({self.status})"

    @property
    def status_label(self):
        return dict(STRIPE_STATUSES).get(self.status, self.status)


class Invoice(models.Model):
    """Mirror of a Stripe invoice, stored from its events (`invoice.paid`,
    `invoice.payment_failed`): what *Mi suscripción* lists, with Stripe's own pages."""

    FINAL_STATUSES = ("paid", "void", "uncollectible")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("estudiante")
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("suscripción"),
    )
    stripe_invoice_id = models.CharField(
        _("id de la factura en Stripe"), max_length=64, unique=True
    )
    number = models.CharField(_("número"), max_length=64, blank=True)
    # Stripe's: draft, open, paid, uncollectible, void.
    status = models.CharField(_("estado"), max_length=20)
    total = models.DecimalField(_("importe"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("moneda"), max_length=3)
    hosted_invoice_url = models.URLField(_("página de la factura"), max_length=500, blank=True)
    invoice_pdf = models.URLField(_("PDF de la factura"), max_length=500, blank=True)
    issued_at = models.DateTimeField(_("emitida"))
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("factura")
        verbose_name_plural = _("facturas")
        indexes = [models.Index(fields=["student", "-issued_at"], name="invoice_student_issued")]

    def __str__(self):
        return self.number or self.stripe_invoice_id

    @property
    def status_label(self):
        return dict(INVOICE_STATUSES).get(self.status, self.status)


INVOICE_STATUSES = [
    ("draft", _("Borrador")),
    ("open", _("Pendiente de pago")),
    ("paid", _("Pagada")),
    ("uncollectible", _("Incobrable")),
    ("void", _("Anulada")),
]


class IntakeRecord(models.Model):
    """Every registration that came in, valid or not, so none is ever lost.

    A valid one points at its student; an invalid one keeps its errors until the person
    corrects it through the signed link we email them.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Aceptado")
        INVALID = "invalid", _("Con errores")
        DUPLICATE = "duplicate", _("Duplicado")
        CORRECTED = "corrected", _("Corregido")

    source = models.CharField(_("origen"), max_length=20, choices=Student.Source.choices)
    # The sender's id for this submission (Typeform event id, CSV file digest + row): a
    # repeated submission finds its record instead of a new one. (The API's retries are
    # answered before this, by its Idempotency-Key: courseops.core.idempotency.)
    external_id = models.CharField(max_length=200, blank=True, verbose_name=_("id externo"))
    data = models.JSONField(_("datos"), default=dict)
    errors = models.JSONField(_("errores"), default=dict, blank=True)
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices)
    student = models.ForeignKey(
        Student,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intake_records",
        verbose_name=_("estudiante"),
    )
    created_at = models.DateTimeField(_("recibido"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("registro recibido")
        verbose_name_plural = _("registros recibidos")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="intake_once_per_submission",
            )
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.data.get('email', '')} ({self.status})"


class OnboardingStep(MarkedModel):
    """One step of one student's onboarding; the rows of a student are the pipeline."""

    class Name(models.TextChoices):
        VALIDATE = "validate", _("Validación")
        ACCOUNT = "account", _("Cuenta")
        MATERIALS = "materials", _("Materiales")
        WEBINARS = "webinars", _("Webinars próximos")
        WELCOME_EMAIL = "welcome_email", _("Email de bienvenida")
        FOLLOW_UP = "follow_up", _("Ticket de seguimiento")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        RUNNING = "running", _("En curso")
        DONE = "done", _("Hecho")
        FAILED = "failed", _("Falló")
        SKIPPED = "skipped", _("Omitido")

    ORDER = list(Name.values)

    student = models.ForeignKey(
        Student,
        on_delete=models.CASCADE,
        related_name="onboarding_steps",
        verbose_name=_("estudiante"),
    )
    name = models.CharField(_("paso"), max_length=20, choices=Name.choices)
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("empezado"))
    # The process running it (courseops.core.liveness): a dead one's step is taken over.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminado"))
    error = models.TextField(_("error"), blank=True)
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detalle"))
    # Staff asked to retry it then; found by the sweeper if the task was lost.
    retry_due_since = models.DateTimeField(
        _("reintento pedido desde"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("paso de alta")
        verbose_name_plural = _("pasos de alta")
        constraints = [
            models.UniqueConstraint(fields=["student", "name"], name="onboarding_step_once")
        ]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(
                fields=["retry_due_since"],
                condition=models.Q(retry_due_since__isnull=False),
                name="onboarding_step_retry_due",
            ),
        ]

    def __str__(self):
        return f"{self.student_id}:{self.name} ({self.status})"


# --- Intake: Typeform form mapping ------------------------------------------------------
class TypeformForm(models.Model):
    """Which question of a Typeform form is which of our fields, set by staff.

    Typeform's field ids are random, so questions are matched by the `ref` staff give them
    in Typeform; hidden fields (utm_source, ...) map to our UTM fields. A lead form's
    responses register nobody: they are handed to the floors above (`typeform_lead_received`).
    """

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Inscripción de estudiantes")
        LEAD = "lead", _("Captación de contactos (marketing)")

    form_id = models.CharField(_("id del formulario"), max_length=64, unique=True)
    name = models.CharField(_("nombre"), max_length=200, blank=True)
    purpose = models.CharField(
        _("uso"), max_length=20, choices=Purpose.choices, default=Purpose.REGISTRATION
    )
    # {"email": "<ref>", "full_name": "<ref>", "phone": "<ref>", "plan": "<ref>", ...}
    field_refs = models.JSONField(_("campos por ref"), default=dict)
    # {"<hidden field name>": "utm_source", ...}
    hidden_fields = models.JSONField(_("campos ocultos"), default=dict, blank=True)
    active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creado"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("actualizado"))

    class Meta:
        verbose_name = _("formulario de Typeform")
        verbose_name_plural = _("formularios de Typeform")

    def __str__(self):
        return self.name or self.form_id
