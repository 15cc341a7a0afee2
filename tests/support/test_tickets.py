import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from courseops.support.models import Ticket
from courseops.support.services import close_ticket, open_ticket

pytestmark = pytest.mark.django_db


def test_a_keyed_follow_up_is_opened_only_once(staff_user):
    first = open_ticket(
        subject="Llamada de bienvenida", kind="welcome_call", key="welcome:1", target=staff_user
    )
    again = open_ticket(subject="Llamada de bienvenida", kind="welcome_call", key="welcome:1")

    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert first.target == staff_user
    assert AuditEntry.objects.filter(action="support.ticket.opened").count() == 1


def test_a_ticket_without_subject_is_refused():
    with pytest.raises(ValidationError):
        open_ticket(subject="   ")

    assert not Ticket.objects.exists()


def test_each_ticket_is_emailed_once_to_the_help_desk_when_one_is_configured(settings):
    settings.SUPPORT_INBOX_EMAIL = "soporte@example.zendesk.com"

    ticket = open_ticket(
        subject="Estudiante en riesgo", description="Sin actividad 14 días", key="risk:7"
    )
    open_ticket(subject="Estudiante en riesgo", key="risk:7")

    message = OutboundMessage.objects.get()
    assert message.recipient == "soporte@example.zendesk.com"
    assert f"#{ticket.pk}" in message.subject
    assert "Sin actividad 14 días" in message.text_body
    assert f"/admin/support/ticket/{ticket.pk}/change/" in message.html_body


def test_no_help_desk_email_without_an_inbox(settings):
    settings.SUPPORT_INBOX_EMAIL = ""

    open_ticket(subject="Llamada")

    assert not OutboundMessage.objects.exists()


def test_closing_twice_closes_once(staff_user):
    ticket = open_ticket(subject="Llamada")

    assert close_ticket(ticket=ticket, user=staff_user) is True
    assert close_ticket(ticket=ticket, user=staff_user) is False
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.DONE
    assert ticket.closed_at is not None
    assert AuditEntry.objects.filter(action="support.ticket.done").count() == 1


def test_ticket_changelist_runs_a_constant_number_of_queries(admin_client, staff_user):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/support/ticket/").status_code == 200
        return len(queries)

    for n in range(2):
        open_ticket(subject=f"T{n}", assignee=staff_user)
    small = count_queries()
    for n in range(2, 22):
        open_ticket(subject=f"T{n}", assignee=staff_user)

    assert count_queries() == small
