"""Export and erasure of one person present in every app on main."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime

import pytest
import respx
from django.core.management import call_command
from django.db import connection
from httpx import Response
from werkzeug import Response as WerkzeugResponse

from courseops.audit.services import log_action
from courseops.messaging.services import queue_email
from courseops.operations.models import Erasure
from courseops.operations.privacy.services import email_hash, erase_person, export_data
from courseops.reviews.services import create_draft
from courseops.support.services import open_ticket
from courseops.webhooks.models import WebhookEvent
from engagement.services.faq import ask_question
from marketing.models import Consent, Lead
from marketing.services.leads import capture_lead
from students.models import IntakeRecord, Plan, Student
from surveys.models import Answer, Survey
from surveys.services import record_answer, survey_for
from webinars.models import Registration
from webinars.services import webinar_create, webinar_schedule
from webinars.services.registrations import registration_create

pytestmark = pytest.mark.django_db

EMAIL = "lucia.erasable@example.com"
NAME = "Lucía Borrable"
PHONE = "+34600111999"
THINKIFIC = "https://api.thinkific.test/api/public/v1"


@pytest.fixture
def fake_vendors(settings, httpserver):
    """Stripe (pytest-httpserver, the real SDK) and Thinkific (respx, the real client)."""
    settings.STRIPE_SECRET_KEY = "sk_test_privacy"
    settings.STRIPE_API_BASE = httpserver.url_for("")
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.LMS_BACKEND = "thinkific"
    settings.THINKIFIC_API_KEY = "key"
    settings.THINKIFIC_SUBDOMAIN = "academia"
    settings.THINKIFIC_API_BASE_URL = THINKIFIC
    httpserver.expect_request("/v1/customers/cus_LUCIA", method="DELETE").respond_with_response(
        WerkzeugResponse(
            json.dumps({"id": "cus_LUCIA", "object": "customer", "deleted": True}),
            content_type="application/json",
        )
    )
    with respx.mock(assert_all_called=False) as router:
        router.delete(f"{THINKIFIC}/users/777").mock(return_value=Response(204))
        yield httpserver, router


@pytest.fixture
def person(django_capture_on_commit_callbacks):
    """A student who came through a form, registered to a webinar, was a lead with consent,
    got messages, had a draft, a ticket, a webhook event and audit entries."""
    plan = Plan.objects.create(slug="pro", name="Pro")
    student = Student.objects.create(
        full_name=NAME,
        email=EMAIL,
        phone=PHONE,
        plan=plan,
        source=Student.Source.API,
        stripe_customer_id="cus_LUCIA",
        lms_user_id="777",
        utm_campaign="otoño",
    )
    IntakeRecord.objects.create(
        source="api",
        status=IntakeRecord.Status.ACCEPTED,
        student=student,
        data={"email": EMAIL, "full_name": NAME, "phone": PHONE, "city": "Sevilla"},
    )
    IntakeRecord.objects.create(  # an earlier invalid attempt, never linked to the student
        source="api",
        status=IntakeRecord.Status.INVALID,
        data={"email": EMAIL.upper(), "phone": "nope"},
        errors={"phone": ["bad"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        webinar = webinar_schedule(
            webinar=webinar_create(
                title="IA práctica",
                description="x",
                starts_at=datetime(2026, 12, 10, 17, tzinfo=UTC),
                time_zone="Europe/Madrid",
                is_public=True,
                plans=(),
            )
        )
        registration_create(webinar=webinar, student=student, source=Registration.Source.API)
        capture_lead(
            data={"email": EMAIL, "name": NAME, "phone": PHONE, "consent": True},
            source="api",
            ip="203.0.113.9",
        )
        queue_email(
            to=EMAIL,
            idempotency_key="privacy-test-1",
            subject=f"Hola {NAME}",
            text=f"Tu teléfono {PHONE}",
            related=student,
            category="engagement",
        )
        ask_question(
            text=f"Soy {NAME} ({PHONE}): ¿cómo descargo los materiales del curso?",
            email=EMAIL,
            student=student,
        )
    create_draft(
        kind="welcome_email",
        target=student,
        subject=f"Bienvenida {NAME}",
        body=f"<p>Hola {NAME}</p>",
        recipient=EMAIL,
        context={"phone": PHONE},
    )
    open_ticket(subject=f"Llamar a {NAME}", description=f"Teléfono {PHONE}", target=student)
    WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_1",
        event_type="customer.created",
        body=json.dumps({"email": EMAIL}),
        payload={"data": {"object": {"email": EMAIL}}},
    )
    WebhookEvent.objects.create(
        provider="twilio",
        event_id="SM1",
        event_type="sms",
        body=f"From={PHONE}&Body=STOP",
        payload={"From": PHONE},
    )
    WebhookEvent.objects.create(  # someone else's: untouched
        provider="stripe",
        event_id="evt_2",
        event_type="x",
        body="{}",
        payload={"email": "o@x.io"},
    )
    log_action(student, "test.touched", data={"email": EMAIL, "name": NAME})
    record_answer(
        survey=survey_for(Survey.Kind.WEBINAR, webinar=webinar),
        respondent=EMAIL,
        score=4,
        comment=f"Soy {NAME}, llamadme al {PHONE}",
        student=student,
    )
    return student


def _text_columns():
    """(table, column) of every text-like column of every table, from the database."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                if re.search(r"char|text|json|clob", str(column.type_code).lower()) or (
                    connection.vendor == "postgresql" and column.type_code in (25, 1043, 114, 3802)
                ):
                    found.append((table, column.name))
    return found


def _traces(needles):
    hits = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            qt, qc = connection.ops.quote_name(table), connection.ops.quote_name(column)
            for needle in needles:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qt} WHERE LOWER(CAST({qc} AS TEXT)) LIKE %s",
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append((table, column, needle))
    return hits


def test_the_scan_sees_the_person_before_erasure(person):
    hits = {table for table, _column, _needle in _traces([EMAIL, NAME, PHONE])}
    assert {
        "students_student",
        "students_intakerecord",
        "webinars_registration",
        "marketing_lead",
        "messaging_outboundmessage",
        "reviews_draft",
        "support_ticket",
        "webhooks_webhookevent",
        "audit_auditentry",
        "surveys_answer",
        "engagement_question",
    } <= hits


def test_erase_leaves_no_trace_and_keeps_the_figures(person, fake_vendors):
    httpserver, thinkific = fake_vendors
    registrations, leads = Registration.objects.count(), Lead.objects.count()

    erasure = erase_person(EMAIL)

    assert _traces([EMAIL, NAME, PHONE]) == []
    student = Student.objects.get(pk=person.pk)
    assert student.phone == ""
    assert student.stripe_customer_id == ""
    # Aggregates stay: the rows are there, anonymised.
    assert Registration.objects.count() == registrations
    assert Lead.objects.count() == leads
    consent = Consent.objects.get(lead__email__startswith="borrado-lead-")
    assert consent.ip is None
    assert consent.purpose
    assert WebhookEvent.objects.get(event_id="evt_2").payload == {"email": "o@x.io"}
    assert Answer.objects.get().score == 4
    # Outside services were asked to forget, through their real clients.
    assert [request.method for request, _response in httpserver.log] == ["DELETE"]
    assert thinkific.calls.call_count == 1
    assert erasure.external == {"stripe": "borrado", "lms": "borrado"}
    # The proof holds no personal data.
    assert erasure.email_hash == email_hash(EMAIL)
    assert erasure.touched["students.students"] == 1
    assert erasure.touched["webhooks.webhook_events"] == 2
    assert EMAIL not in json.dumps([erasure.touched, erasure.external])


def test_erase_without_vendors_configured_still_erases(person, settings):
    settings.STRIPE_SECRET_KEY = ""
    erasure = erase_person(EMAIL)
    assert erasure.external["stripe"].startswith("error")
    assert _traces([EMAIL, NAME, PHONE]) == []


def test_export_holds_every_app_share(person):
    data = export_data(EMAIL)
    assert data["students.students"][0]["phone"] == PHONE
    assert {row["status"] for row in data["students.intake_records"]} == {"accepted", "invalid"}
    assert data["webinars.registrations"][0]["webinar__title"] == "IA práctica"
    assert data["marketing.consents"][0]["ip"] == "203.0.113.9"
    assert any(row["subject"] == f"Hola {NAME}" for row in data["messaging.messages"])
    assert data["reviews.drafts"][0]["subject"] == f"Bienvenida {NAME}"
    assert data["support.tickets"][0]["subject"] == f"Llamar a {NAME}"
    assert data["surveys.answers"][0]["score"] == 4
    assert PHONE in data["engagement.questions"][0]["text"]


def test_export_command_writes_a_zip_with_json_and_csv(person, tmp_path):
    out = io.StringIO()
    call_command("export_person", EMAIL, "--output", str(tmp_path), stdout=out)
    with zipfile.ZipFile(out.getvalue().strip()) as archive:
        names = archive.namelist()
        assert "persona.json" in names
        assert "students.students.csv" in names
        assert EMAIL in archive.read("persona.json").decode()
        assert NAME in archive.read("marketing.leads.csv").decode()


def test_erase_command_needs_confirmation(person):
    with pytest.raises(Exception, match="--yes"):
        call_command("erase_person", EMAIL)
    assert Student.objects.filter(email=EMAIL).exists()


def test_api_exports_and_erases(person, api_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = api_client.get("/api/v1/privacy/export/", {"email": EMAIL})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert EMAIL not in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("persona.json")
    assert api_client.get("/api/v1/privacy/export/", {"email": "nope"}).status_code == 400
    response = api_client.post("/api/v1/privacy/erase/", {"email": EMAIL}, format="json")
    assert response.status_code == 201
    assert not Student.objects.filter(email=EMAIL).exists()
    assert Erasure.objects.get().erased_by.is_staff


def test_admin_request_page_exports_and_erases(person, client, admin_user, settings):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(admin_user)
    url = "/admin/operations/erasure/solicitud/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"email": EMAIL, "action": "export"})
    assert response["Content-Type"] == "application/zip"
    response = client.post(url, {"email": EMAIL, "action": "erase"})
    assert response.status_code == 200
    assert Student.objects.filter(email=EMAIL).exists()
    response = client.post(url, {"email": EMAIL, "action": "erase", "confirm": "on"})
    assert response.status_code == 302
    assert not Student.objects.filter(email=EMAIL).exists()


def test_admin_shows_purposes_with_lawful_basis(person, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/operations/erasure/solicitud/", {"email": EMAIL, "action": "purposes"}
    )
    page = response.content.decode()
    assert "Curso y servicio contratado" in page
    assert "Ejecución de contrato (art. 6.1.b RGPD)" in page
    assert "Newsletter por correo" in page
    assert "Consentimiento (art. 6.1.a RGPD)" in page


def test_support_may_export_but_only_the_admin_role_erases(person, client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="sol", password="pw-sol-1234")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="support"))
    client.force_login(user)
    url = "/admin/operations/erasure/solicitud/"
    assert 'value="erase"' not in client.get(url).content.decode()
    assert client.post(url, {"email": EMAIL, "action": "export"}).status_code == 200
    response = client.post(url, {"email": EMAIL, "action": "erase", "confirm": "on"})
    assert response.status_code == 403
    assert Student.objects.filter(email=EMAIL).exists()
    # Every staff role sees the KPI dashboard on the landing page.
    assert 'id="kpi-dashboard"' in client.get("/admin/").content.decode()


def _activity_with_ids_from_the_email(student):
    from django.utils import timezone

    from engagement.models import ActivityEvent, ActivityKind, ActivitySource

    for number in range(3):
        ActivityEvent.objects.create(
            student=student,
            kind=ActivityKind.LESSON_VIEWED,
            occurred_at=timezone.now(),
            source=ActivitySource.API,
            external_id=f"demo:{EMAIL}:{number}",
        )


def test_erasure_covers_ids_built_from_the_email_and_records_a_clean_scan(person):
    from engagement.models import ActivityEvent

    _activity_with_ids_from_the_email(person)

    erasure = erase_person(EMAIL)

    assert not ActivityEvent.objects.filter(external_id__icontains=EMAIL).exists()
    assert ActivityEvent.objects.filter(external_id__startswith="borrado:").count() == 3
    assert erasure.touched["engagement.activity_ids"] == 3
    # Every table was scanned, and nothing of the person is left in any of them.
    assert {"engagement_activityevent", "students_student", "audit_auditentry"} <= set(
        erasure.traces
    )
    assert {table: n for table, n in erasure.traces.items() if n} == {}
    assert _traces([EMAIL, NAME, PHONE]) == []


def test_the_admin_history_naming_the_person_is_erased_too(person, admin_user):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    entry = LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Student),
        object_id=str(person.pk),
        object_repr=f"{NAME} <{EMAIL}>",
        action_flag=CHANGE,
    )

    erasure = erase_person(EMAIL)

    entry.refresh_from_db()
    assert EMAIL not in entry.object_repr
    assert erasure.traces["django_admin_log"] == 0


def test_the_scan_records_what_no_part_erased(person):
    from content.models import Course

    # A text no privacy part looks at (a course named after the student, say).
    Course.objects.create(title=f"Mentoría de {NAME}", slug="mentoria")

    erasure = erase_person(EMAIL)

    assert {table: n for table, n in erasure.traces.items() if n} == {"content_course": 1}
    assert Erasure.objects.get().traces["content_course"] == 1


def test_erasure_blanks_the_invoice_pages_and_keeps_amounts_and_dates(person, settings):
    from decimal import Decimal

    from students.models import Invoice

    settings.STRIPE_SECRET_KEY = ""
    issued = datetime(2026, 11, 1, 9, tzinfo=UTC)
    Invoice.objects.create(
        student=person,
        stripe_invoice_id="in_LUCIA",
        number="A-0001",
        status="paid",
        total=Decimal("49.00"),
        currency="EUR",
        # Stripe's pages show the customer's name, email and address to anyone with these.
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_LUCIA",
        invoice_pdf="https://pay.stripe.com/invoice/acct_1/test_LUCIA/pdf",
        issued_at=issued,
    )

    erasure = erase_person(EMAIL)

    invoice = Invoice.objects.get()
    assert (invoice.hosted_invoice_url, invoice.invoice_pdf) == ("", "")
    assert (invoice.total, invoice.currency, invoice.issued_at) == (Decimal("49.00"), "EUR", issued)
    assert erasure.touched["students.invoices"] == 1


def test_a_message_held_for_review_is_canceled_and_its_draft_withdrawn(person, staff_user):
    from courseops.messaging.models import OutboundMessage, Status
    from courseops.messaging.services import deliver_message
    from courseops.reviews.automations import (
        Automation,
        register_automation,
        unregister_automation,
    )
    from courseops.reviews.held import KIND
    from courseops.reviews.models import Draft, DraftStatus, PolicyMode
    from courseops.reviews.rollout import set_automation_policy

    register_automation(Automation(name="privacy_flow", label="Flujo"))
    try:
        set_automation_policy(
            automation="privacy_flow", mode=PolicyMode.REVIEW, percent=0, user=staff_user
        )
        message = queue_email(
            to=EMAIL, idempotency_key="held-1", subject="Hola", text="x", automation="privacy_flow"
        )
        deliver_message(message_id=message.pk, max_attempts=1, retry_delay=None)
        message.refresh_from_db()
        assert message.status == Status.HELD

        erase_person(EMAIL)
    finally:
        unregister_automation("privacy_flow")

    assert OutboundMessage.objects.get(pk=message.pk).status == Status.CANCELED
    draft = Draft.objects.get(kind=KIND, object_id=str(message.pk))
    assert draft.status == DraftStatus.WITHDRAWN


@pytest.mark.parametrize("status", ["queued", "sending", "held", "sent"])
def test_a_message_in_flight_or_at_rest_is_exported_and_erased(person, status):
    """The outbox's text indexes hold only messages at rest; the erasure still finds the
    ones in flight, theirs by address and staff's by what they say."""
    from courseops.messaging.models import OutboundMessage

    theirs = queue_email(to=EMAIL, idempotency_key=f"life-{status}", subject="Hola", text="x")
    note = queue_email(
        to="equipo@example.com",
        idempotency_key=f"note-{status}",
        subject=f"Nueva alumna: {NAME}",
        text=f"Llamar a {NAME} al {PHONE} ({EMAIL}).",
    )
    OutboundMessage.objects.filter(pk__in=[theirs.pk, note.pk]).update(status=status)

    exported = export_data(EMAIL)["messaging.messages"]
    assert {"subject": "Hola", "status": status}.items() <= next(
        row for row in exported if row["subject"] == "Hola"
    ).items()

    erasure = erase_person(EMAIL)

    theirs.refresh_from_db()
    assert (theirs.recipient, theirs.text_body) == ("[borrado]", "")
    assert theirs.status == ("canceled" if status in ("queued", "held") else status)
    note.refresh_from_db()
    assert note.subject == "Nueva alumna: [borrado]"
    assert note.text_body == "Llamar a [borrado] al [borrado] ([borrado])."
    assert note.status == status
    assert erasure.traces.get("messaging_outboundmessage") == 0
