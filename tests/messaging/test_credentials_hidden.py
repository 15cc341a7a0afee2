"""Credentials are never shown to staff: the admin masks sign-in links and tokens in the
outbox, drafts, audit entries and webhook payloads; only the admin role sees messages as
sent (messaging.view_sent_credentials)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from courseops.audit.models import AuditEntry
from courseops.core.redaction import MASK
from courseops.messaging.models import OutboundMessage
from courseops.messaging.services import queue_email, unsubscribe_url
from courseops.reviews.services import create_draft
from courseops.webhooks.models import WebhookEvent
from students.models import Plan, Student
from students.portal.services import make_token, sign_in_link

pytestmark = pytest.mark.django_db

API_KEY = "co_Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA"


@pytest.fixture
def role_user(django_user_model):
    def make(role):
        user = django_user_model.objects.create_user(
            username=f"u-{role}", password="x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def student(db):
    plan = Plan.objects.create(slug="basico", name="Básico", price=49, currency="USD")
    return Student.objects.create(
        full_name="Ana", email="ana@example.com", plan=plan, status=Student.Status.ACTIVE
    )


@pytest.fixture
def message_with_link(student, django_capture_on_commit_callbacks):
    link = sign_in_link(student=student)
    unsubscribe = unsubscribe_url(address=student.email)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(
            to=student.email,
            idempotency_key="signin-1",
            subject="Tu enlace",
            text=f"Entra a tu plataforma: {link}\nBaja: {unsubscribe}",
            html=f'<p><a href="{link}">Entrar</a></p>',
        )
    return OutboundMessage.objects.get(pk=message.pk), link.rsplit("/", 2)[-2]


def change_page(client, user, obj):
    client.force_login(user)
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["marketing", "support"])
def test_staff_do_not_see_the_sign_in_token_of_a_message(
    client, role_user, message_with_link, role
):
    message, token = message_with_link
    assert token in message.text_body  # stored as sent
    assert token in message.html_body

    page = change_page(client, role_user(role), message)

    assert token not in page
    assert MASK in page
    assert "/portal/acceso/" in page  # staff still see which link it was


def test_the_admin_role_sees_the_message_exactly_as_sent(client, role_user, message_with_link):
    message, token = message_with_link

    page = change_page(client, role_user("admin"), message)

    assert token in page


def test_only_the_admin_role_holds_the_permission_to_see_credentials(role_user):
    holders = [
        role
        for role in ("admin", "support", "content", "marketing")
        if role_user(role).has_perm("messaging.view_sent_credentials")
    ]
    assert holders == ["admin"]


def test_a_draft_context_shows_no_link(client, role_user, student):
    token = make_token(student=student)
    draft = create_draft(
        kind="welcome_email",
        target=student,
        subject="Hola",
        body="<p>Hola</p>",
        context={"access_url": f"http://127.0.0.1:8000/portal/acceso/{token}/"},
        recipient=student.email,
    )

    page = change_page(client, role_user("support"), draft)

    assert token not in page
    assert MASK in page


def test_audit_entries_and_webhook_payloads_mask_tokens(client, role_user, student):
    token = make_token(student=student)
    entry = AuditEntry.objects.create(
        action="operations.api_token.issued", data={"key": API_KEY, "link": f"/x/y/{token}/"}
    )
    event = WebhookEvent.objects.create(
        provider="generic",
        event_id="e1",
        event_type="x",
        body=f'{{"url": "https://h/encuestas/{token}/"}}',
        payload={"url": f"https://h/encuestas/{token}/", "api_key": "plain-secret-value"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    support = role_user("support")

    for obj in (entry, event):
        page = change_page(client, support, obj)
        assert token not in page
        assert API_KEY not in page
        assert "plain-secret-value" not in page
