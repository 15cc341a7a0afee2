"""Opening and closing staff follow-ups, and mirroring them to the help desk by email."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.services import queue_email
from courseops.support.models import Ticket


def open_ticket(
    *,
    subject,
    description="",
    kind="",
    target=None,
    assignee=None,
    due_at=None,
    priority=Ticket.Priority.NORMAL,
    key=None,
    user=None,
):
    """Open a ticket; with a `key`, the same follow-up is opened only once.

    When `SUPPORT_INBOX_EMAIL` is set the ticket is also emailed there, since every help
    desk turns email into tickets.
    """
    if not subject.strip():
        raise ValidationError({"subject": _("El asunto es obligatorio.")})
    if key:
        existing = Ticket.objects.filter(key=key).first()
        if existing is not None:
            return existing
    ticket = Ticket(
        subject=subject.strip()[:200],
        description=description,
        kind=kind,
        assignee=assignee,
        due_at=due_at,
        priority=priority,
        key=key or None,
    )
    if target is not None:
        ticket.content_type = ContentType.objects.get_for_model(target)
        ticket.object_id = str(target.pk)
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:
        # Another process opened the same keyed follow-up between our check and insert.
        return Ticket.objects.get(key=key)
    log_action(ticket, "support.ticket.opened", user=user, data={"kind": kind})
    _mirror_to_help_desk(ticket)
    return ticket


def _mirror_to_help_desk(ticket):
    inbox = settings.SUPPORT_INBOX_EMAIL
    if not inbox:
        return
    queue_email(
        to=inbox,
        idempotency_key=f"support.ticket.{ticket.pk}.mirror",
        template="support/ticket_opened",
        context={
            "number": ticket.pk,
            "subject": ticket.subject,
            "description": ticket.description,
            "due_at": ticket.due_at,
            "admin_url": f"{settings.SITE_URL}/admin/support/ticket/{ticket.pk}/change/",
        },
        related=ticket,
    )


@transaction.atomic
def close_ticket(*, ticket, user=None, status=Ticket.Status.DONE, note=""):
    if status not in (Ticket.Status.DONE, Ticket.Status.CANCELLED):
        raise ValidationError(_("Un ticket se cierra como resuelto o cancelado."))
    updated = Ticket.objects.filter(pk=ticket.pk, status__in=Ticket.OPEN_STATUSES).update(
        status=status, closed_at=timezone.now(), updated_at=timezone.now()
    )
    if updated:
        ticket.refresh_from_db()
        log_action(ticket, f"support.ticket.{status}", user=user, data={"note": note})
    return bool(updated)


def assign_ticket(*, ticket, assignee, user=None):
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    log_action(
        ticket,
        "support.ticket.assigned",
        user=user,
        data={"assignee": assignee.get_username() if assignee else None},
    )
