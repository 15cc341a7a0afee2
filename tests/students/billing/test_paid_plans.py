"""A plan that requires payment is given through Stripe only: a free door (form, API, CSV)
leaves the person "pendiente de pago" with a payment link, access follows Stripe, and staff
may grant it by hand."""

import re

import pytest

from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from students.intake.csv_import import import_students
from students.intake.services import register_student
from students.models import Student
from tests.students.billing.conftest import event
from tests.students.billing.test_webhooks import checkout_session

pytestmark = pytest.mark.django_db
PERSON = {"email": "lucia@example.com", "full_name": "Lucía Pérez", "consent": True}


@pytest.fixture
def paid_premium(plans):
    plans["premium"].requires_payment = True
    plans["premium"].save()
    return plans


def pay_path():
    body = OutboundMessage.objects.get(template="students/payment_link").text_body
    return re.search(r"https?://[^/]+(/pago/plan/\S+/)", body).group(1)


@pytest.mark.parametrize("door", ["api", "typeform", "csv"])
def test_a_free_door_registration_for_a_paid_plan_waits_for_payment_with_a_link(
    client, fake_stripe, paid_premium, django_capture_on_commit_callbacks, door
):
    with django_capture_on_commit_callbacks(execute=True):
        if door == "csv":
            import_students(content=b"email,nombre,plan\nlucia@example.com,Lucia,premium\n")
        else:
            register_student(data={**PERSON, "plan": "premium"}, source=door, external_id="1")

    student = Student.objects.get()
    assert (student.status, student.plan.slug) == (Student.Status.PENDING_PAYMENT, "premium")
    assert not student.onboarding_steps.exists()  # no access, no welcome
    assert AuditEntry.objects.filter(action="students.student.awaiting_payment").exists()

    response = client.get(pay_path())  # the emailed link opens a fresh Checkout
    assert response.status_code == 302
    assert response["Location"].startswith("https://checkout.stripe.com/")
    sent, _headers = fake_stripe.requests("/v1/checkout/sessions")[0]
    assert (sent["customer_email"], sent["line_items[0][price]"]) == (
        "lucia@example.com",
        "price_premium",
    )


def test_paying_starts_onboarding_and_the_student_ends_active(
    fake_stripe, paid_premium, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**PERSON, "plan": "premium"}, source="api", external_id="1")
    fake_stripe.set_subscription(price="price_premium", plan="premium")

    deliver(event("checkout.session.completed", checkout_session()))

    student = Student.objects.get()
    assert student.status == Student.Status.ACTIVE
    assert student.onboarding_steps.count() == 6
    assert student.stripe_customer_id == "cus_1"


def test_an_upgrade_to_a_paid_plan_through_a_free_door_keeps_the_plan_until_paid(
    fake_stripe, paid_premium, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**PERSON, "plan": "basico"}, source="api", external_id="1")
        register_student(data={**PERSON, "plan": "premium"}, source="typeform", external_id="2")

    student = Student.objects.get()
    assert student.plan.slug == "basico"
    message = OutboundMessage.objects.get(template="students/payment_link")
    assert "tu plan actual sigue igual hasta que completes el pago" in message.text_body


def test_staff_grant_a_paid_plan_by_hand_and_onboarding_starts_audited(
    client, staff_user, paid_premium, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register_student(data={**PERSON, "plan": "premium"}, source="api", external_id="1")
    student = Student.objects.get()
    client.force_login(staff_user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/students/student/",
            {"action": "grant_without_payment", "_selected_action": [student.pk]},
        )

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    entry = AuditEntry.objects.get(action="students.student.access_granted_without_payment")
    assert entry.actor == staff_user


def test_a_forged_payment_link_is_refused(client, paid_premium):
    assert client.get("/pago/plan/forged/").status_code == 400


def test_the_api_says_a_paid_plans_registration_waits_for_payment(
    api_client, paid_premium, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/estudiantes/onboarding",
            {"email": "lucia@example.com", "nombre": "Lucía", "plan": "premium"},
            format="json",
        )

    assert response.status_code == 201
    assert response.json()["estado"] == "pendiente_de_pago"
