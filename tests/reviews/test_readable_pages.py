"""Staff read sentences and words, not codes: the audit log, the queue's "written by"
column, tickets' kinds and nudges' occasions."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from courseops.reviews.services import approve_draft
from courseops.support.services import open_ticket
from engagement.models import Nudge

pytestmark = pytest.mark.django_db


def _staff(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return django_user_model.objects.get(pk=user.pk)


def test_the_audit_log_reads_who_did_what_to_which_object(client, django_user_model, email_draft):
    ana = _staff(django_user_model, "ana", "review_demo_email")
    draft = email_draft(subject="Bienvenida al curso")
    approve_draft(draft=draft, user=ana)
    ticket = open_ticket(subject="Llamar a Lucía", kind="welcome_call")
    client.force_login(_staff(django_user_model, "auditora", "view_auditentry"))

    page = client.get(reverse("admin:audit_auditentry_changelist")).content.decode()

    assert f"ana aprobó el borrador «#{draft.pk} Bienvenida al curso»" in page
    assert f"Una automatización abrió el ticket «#{ticket.pk} Llamar a Lucía»" in page
    assert "reviews.draft.approved</td>" not in page
    # The action filter names actions in words too, and filters by them.
    assert "?action=approved" in page
    approved = client.get(
        reverse("admin:audit_auditentry_changelist"), {"action": "approved"}
    ).content.decode()
    assert f"ana aprobó el borrador «#{draft.pk} Bienvenida al curso»" in approved
    assert "Llamar a Lucía" not in approved


def test_the_audit_log_page_reads_no_distinct_over_the_whole_log(client, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_ticket(subject="Llamar a Lucía", kind="welcome_call")
    client.force_login(_staff(django_user_model, "auditora", "view_auditentry"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:audit_auditentry_changelist"))

    assert response.status_code == 200
    audit_reads = [q["sql"] for q in queries if "audit_auditentry" in q["sql"]]
    assert audit_reads
    assert not [sql for sql in audit_reads if "DISTINCT" in sql.upper()]


def test_the_queue_says_a_draft_came_from_a_template_not_from_the_ai(client, reviewer, email_draft):
    template = email_draft(subject="De plantilla")
    template.offline = True
    template.save(update_fields=["offline"])
    email_draft(subject="De la IA")
    client.force_login(reviewer)
    url = reverse("admin:reviews_draft_changelist")

    page = client.get(url).content.decode()
    only_templates = client.get(url, {"offline": "1"}).content.decode()

    assert "Plantilla (sin IA)" in page
    assert "sin conexión" not in page.lower()
    assert "De plantilla" in only_templates
    assert "De la IA" not in only_templates
    change = client.get(reverse("admin:reviews_draft_change", args=[template.pk]))
    assert "Plantilla (sin IA)" in change.content.decode()


def test_tickets_say_what_opened_them_in_words(client, django_user_model):
    open_ticket(subject="Llamar a Lucía", kind="welcome_call")
    client.force_login(_staff(django_user_model, "soporte", "view_ticket"))

    page = client.get(reverse("admin:support_ticket_changelist")).content.decode()

    assert "Llamada de bienvenida" in page
    assert "welcome_call</td>" not in page


@pytest.mark.parametrize(
    ("occurrence", "words"),
    [
        ("since:2026-11-21", "sin actividad desde el 21/11/2026"),
        ("pct:50", "al llegar al 50 % del curso"),
        ("from:2026-11-02", "racha de días seguidos desde el 02/11/2026"),
        ("never", "sin actividad desde el alta"),
        ("completed", "curso completado"),
    ],
)
def test_a_nudges_occasion_reads_in_words(occurrence, words):
    assert Nudge(occurrence=occurrence).occasion_label() == words
