"""The outbox: every email and SMS is a row before it is a network call.

A row moves queued -> sending -> sent -> delivered (or bounced / complained), with
awaiting_retry, failed, suppressed, canceled and interrupted on the side. Provider
events only move a row forward (see `Status.rank`), so late or repeated webhooks
never undo what a newer one said.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from courseops.messaging.fields import AddressField
from courseops.operations.encryption import blind_index
from courseops.operations.fields import EncryptedCharField


class Channel(models.TextChoices):
    EMAIL = "email", _("Correo")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Notificación push")


class Category(models.TextChoices):
    # Ordered by priority: what a person must get comes first.
    TRANSACTIONAL = "transactional", _("Transaccional")
    BILLING = "billing", _("Facturación")
    ENGAGEMENT = "engagement", _("Seguimiento")
    MARKETING = "marketing", _("Marketing")


class Status(models.TextChoices):
    QUEUED = "queued", _("En cola")
    AWAITING_RETRY = "awaiting_retry", _("Reintento pendiente")
    SENDING = "sending", _("Enviando")
    INTERRUPTED = "interrupted", _("Interrumpido: puede haberse enviado, revisar antes de reenviar")
    SENT = "sent", _("Enviado")
    DELIVERED = "delivered", _("Entregado")
    BOUNCED = "bounced", _("Rebotado / no entregado")
    COMPLAINED = "complained", _("Marcado como spam")
    FAILED = "failed", _("Fallido")
    SUPPRESSED = "suppressed", _("Suprimido")
    DROPPED = "dropped", _("Descartado por la política de envío")
    # Its automation ran in shadow for this person: computed and kept, never sent.
    SHADOWED = "shadowed", _("En sombra: no enviado")
    # Its automation is in review for this person: waits until staff release it (its draft
    # in the review queue) or reject it (then canceled).
    HELD = "held", _("Retenido: espera la aprobación del equipo")
    CANCELED = "canceled", _("Cancelado")


# Waiting in our outbox; the sweeper hands these to a worker when due.
PENDING = (Status.QUEUED, Status.AWAITING_RETRY)
# Short-lived: queued, claimed and sent within seconds (or minutes, waiting for a retry).
IN_FLIGHT = (*PENDING, Status.SENDING)
# Where a row stays: its outcome recorded, or waiting for staff (held, interrupted). The
# outbox's full-text indexes (an erasure's search) hold only these rows, so a message's
# tsvectors are computed when it comes to rest, not at its INSERT and its claim
# (operations 0010). A new status goes in one list or the other; moving one changes the
# indexes' predicate, which needs a migration (tests/operations/test_text_indexes_at_rest.py).
AT_REST = (
    Status.INTERRUPTED,
    Status.SENT,
    Status.DELIVERED,
    Status.BOUNCED,
    Status.COMPLAINED,
    Status.FAILED,
    Status.SUPPRESSED,
    Status.DROPPED,
    Status.SHADOWED,
    Status.HELD,
    Status.CANCELED,
)
# Staff may put these back in the queue.
RETRYABLE = (
    Status.FAILED,
    Status.INTERRUPTED,
    Status.CANCELED,
    Status.SUPPRESSED,
    Status.DROPPED,
)


def priority(category):
    """0 for transactional, higher numbers yield to lower ones (see `Category`)."""
    return Category.values.index(category)


class OverBudget(models.TextChoices):
    DEFER = "defer", _("Aplazar al siguiente hueco")
    DROP = "drop", _("Descartar")


# How far along the provider's report a row is. An event may only raise the rank.
PROVIDER_RANK = {
    Status.SENDING: 0,
    Status.INTERRUPTED: 0,
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.BOUNCED: 3,
    Status.COMPLAINED: 4,
}


def statuses_below(status):
    """Statuses a provider event for `status` may overwrite."""
    rank = PROVIDER_RANK[status]
    return [name for name, value in PROVIDER_RANK.items() if value < rank]


class OutboundMessage(models.Model):
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    category = models.CharField(
        _("categoría"), max_length=20, choices=Category.choices, default=Category.TRANSACTIONAL
    )
    # An SMS's number is encrypted at rest (blind-indexed, so lookups by number work).
    recipient = AddressField(_("destinatario"), max_length=254, db_index=True)
    # The email's From; empty: DEFAULT_FROM_EMAIL when it is sent.
    from_email = models.CharField(_("remitente"), max_length=320, blank=True)
    subject = models.CharField(_("asunto"), max_length=255, blank=True)
    text_body = models.TextField(_("texto"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    template = models.CharField(_("plantilla"), max_length=100, blank=True)
    context = models.JSONField(_("contexto"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    headers = models.JSONField(_("cabeceras"), default=dict, blank=True)
    # [{"filename", "mimetype", "content_b64"}]: small files (calendar invites), not media.
    attachments = models.JSONField(_("adjuntos"), default=list, blank=True)
    language = models.CharField(_("idioma"), max_length=10, blank=True)
    idempotency_key = models.CharField(_("clave de idempotencia"), max_length=200, unique=True)

    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    send_at = models.DateTimeField(_("enviar a partir de"), null=True, blank=True)
    # Past this it is useless (a reminder once its webinar started): dropped, never late.
    expires_at = models.DateTimeField(_("no enviar después de"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("próximo intento"), null=True, blank=True)
    # When a worker was last asked to send it; the sweeper re-asks only after a lease.
    dispatched_at = models.DateTimeField(_("despachado"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("inicio del envío"), null=True, blank=True)
    # The process sending it (courseops.core.liveness) and when it called the provider:
    # a row whose holder died before that moment was not sent and is sent again.
    held_by = models.CharField(_("en manos de"), max_length=150, blank=True)
    provider_called_at = models.DateTimeField(_("llamada al proveedor"), null=True, blank=True)
    # PostgreSQL only: the database's incarnation when the claim was committed (the time its
    # unlogged marker was created; a crash recovery or a promoted standby empties it). A
    # row of a dead holder claimed in an earlier incarnation may have lost its stamp, which
    # is committed asynchronously: staff decide, it is never resent (services.sending).
    claimed_incarnation = models.DateTimeField(
        _("arranque de la base de datos al reclamarlo"), null=True, blank=True
    )
    # An interrupted row that had called its provider: when the sweeper asks the provider
    # next whether it took the message (services.reconciliation). Empty: nobody asks; staff
    # decide. Set on every way into `interrupted`, so an older value never lingers.
    provider_check_at = models.DateTimeField(
        _("próxima consulta al proveedor"), null=True, blank=True
    )
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    provider = models.CharField(_("proveedor"), max_length=40, blank=True)
    provider_message_id = models.CharField(_("id del proveedor"), max_length=255, blank=True)
    last_error = models.TextField(_("último error"), blank=True)

    # The send policy's inputs (set when queued) and its last word (set when it held the
    # message back). `person_key` groups a person's addresses under one budget.
    person_key = models.CharField(_("persona"), max_length=260, blank=True)
    time_zone = models.CharField(_("zona horaria"), max_length=64, blank=True)
    over_budget = models.CharField(
        _("si supera el límite"),
        max_length=10,
        choices=OverBudget.choices,
        default=OverBudget.DEFER,
    )
    # When it was counted against the person's budget (it passed the policy).
    budget_at = models.DateTimeField(_("contado en el límite"), null=True, blank=True)
    policy_note = models.CharField(_("nota de la política"), max_length=300, blank=True)

    # The automation that queued it (onboarding, reminders...), whose rollout decides at
    # send time whether it leaves (courseops.messaging.hooks.register_rollout_check).
    automation = models.CharField(_("automatización"), max_length=64, blank=True)

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("tipo de objeto"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_id = models.CharField(_("id del objeto"), max_length=64, blank=True)
    related = GenericForeignKey("content_type", "object_id")

    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("mensaje saliente")
        verbose_name_plural = _("bandeja de salida")
        # Bodies hold live sign-in, survey and unsubscribe links; staff see them masked.
        permissions = [
            ("view_sent_credentials", _("Puede ver los mensajes tal como se enviaron (enlaces)"))
        ]
        # Newest first by the primary key: its index serves the admin list on a big table.
        ordering = ["-id"]
        indexes = [
            # The sweeper's scan: only pending rows are in it, so it stays small.
            models.Index(
                fields=["next_attempt_at"],
                name="messaging_pending_due",
                condition=models.Q(status__in=PENDING),
            ),
            models.Index(
                fields=["claimed_at"],
                name="messaging_sending_claimed",
                condition=models.Q(status=Status.SENDING),
            ),
            # The reconciliation's scan: interrupted rows only, a handful at most.
            models.Index(
                fields=["provider_check_at"],
                name="messaging_provider_check_due",
                condition=models.Q(status=Status.INTERRUPTED),
            ),
            models.Index(
                fields=["provider_message_id"],
                name="messaging_provider_msg_id",
                condition=~models.Q(provider_message_id=""),
            ),
            models.Index(fields=["content_type", "object_id"], name="messaging_related"),
            # The shadow log: an automation's withheld and sent rows in a period.
            models.Index(
                fields=["automation", "status", "created_at"],
                name="messaging_automation",
                condition=~models.Q(automation=""),
            ),
            models.Index(
                fields=["person_key", "budget_at"],
                name="messaging_person_budget",
                condition=models.Q(budget_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.recipient} ({self.get_status_display()})"


class ProviderCall(models.Model):
    """A message whose provider call has begun and whose outcome is not yet recorded.

    The stamp that keeps a message from going out twice: written just before the call,
    deleted when the outcome is recorded, so the table holds only the messages in flight.
    A sweeper finding a dead worker's `sending` row resends it when it has no row here,
    and holds it for staff when it has one. On PostgreSQL the stamp's commit does not wait
    for the disk (`synchronous_commit` off for its own transaction): only a crash of
    PostgreSQL itself can lose it, and a row claimed before such a crash is held for staff
    whatever its stamp says (`OutboundMessage.claimed_incarnation`). On SQLite it is an
    ordinary commit. It is a table of its own because an insert into two narrow columns
    costs a fraction of a new version of the outbox's wide row and its indexes
    (bench/README.md, Outbox).
    """

    # No foreign-key constraint in the database: checking it would lock the outbox row
    # on every stamp. Rows are deleted with their message (on_delete) or when recorded.
    message = models.OneToOneField(
        OutboundMessage,
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="provider_call",
        verbose_name=_("mensaje saliente"),
    )
    called_at = models.DateTimeField(_("llamada al proveedor"))

    class Meta:
        verbose_name = _("llamada al proveedor en curso")
        verbose_name_plural = _("llamadas al proveedor en curso")

    def __str__(self):
        return f"{self.message_id} @ {self.called_at:%Y-%m-%d %H:%M:%S}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Se dio de baja")
    BOUNCED = "bounced", _("Rebote permanente")
    COMPLAINED = "complained", _("Queja de spam")
    SMS_STOP = "sms_stop", _("Respondió STOP")
    MANUAL = "manual", _("Manual")


class Suppression(models.Model):
    """An address we must not write to. Checked right before every send."""

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("dirección"), max_length=254)
    # The address's keyed hash: joins with encrypted phone columns, which hold the same
    # hash in front of the ciphertext (courseops.operations.fields.stored_blind_index).
    address_index = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        editable=False,
        verbose_name=_("índice de la dirección"),
    )
    reason = models.CharField(_("motivo"), max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(_("origen"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creado por"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("dirección suprimida")
        verbose_name_plural = _("lista de supresión")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address"], name="messaging_unique_suppression"
            )
        ]

    def __str__(self):
        return f"{self.address} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.address_index = blind_index(self.address) if self.address else ""
        super().save(*args, **kwargs)


class BudgetRule(models.Model):
    """A cap staff set: at most `limit` messages of `categories` per person per period.

    A message counts only messages of its own priority or higher against the cap, so
    marketing never keeps a billing notice out, while billing notices do use up the room
    marketing has. Transactional messages are never capped.
    """

    name = models.CharField(_("nombre"), max_length=100)
    channel = models.CharField(
        _("canal"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("Vacío: todos los canales juntos."),
    )
    categories = models.JSONField(
        _("categorías"),
        default=list,
        help_text=_("Las categorías que cuenta este límite (nunca la transaccional)."),
    )
    limit = models.PositiveSmallIntegerField(_("máximo de mensajes"))
    period_days = models.PositiveSmallIntegerField(_("periodo (días)"), default=7)
    active = models.BooleanField(_("activo"), default=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("límite de mensajes por persona")
        verbose_name_plural = _("límites de mensajes por persona")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PushSubscription(models.Model):
    """A browser a person let us notify (Web Push): where to post and the keys to encrypt
    for it. `address` is the person's email, the push channel's recipient in the outbox.

    The endpoint and keys are credentials (whoever holds them can write to that browser):
    encrypted at rest, never shown to staff; `endpoint_index` (a keyed hash) finds a
    browser that subscribes again.
    """

    address = models.EmailField(_("correo de la persona"), max_length=254, db_index=True)
    endpoint = EncryptedCharField(_("dirección del servicio push"), max_length=2000)
    endpoint_index = models.CharField(
        _("índice de la dirección"), max_length=32, unique=True, editable=False
    )
    p256dh = EncryptedCharField(_("clave pública del navegador"), max_length=200)
    auth = EncryptedCharField(_("secreto de autenticación"), max_length=100)
    browser = models.CharField(_("navegador"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    last_sent_at = models.DateTimeField(_("último envío"), null=True, blank=True)

    class Meta:
        verbose_name = _("suscripción push")
        verbose_name_plural = _("suscripciones push")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.address} ({self.browser or _('navegador')})"

    def save(self, *args, **kwargs):
        self.endpoint_index = blind_index(self.endpoint)
        super().save(*args, **kwargs)
