"""*Mi suscripción* in the portal, the past-due banner, upgrades through Checkout, the
invoice mirror and the sign-in link a buyer gets from the checkout webhook."""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail

from courseops.messaging.models import OutboundMessage
from courseops.operations.privacy.services import export_data
from students.models import Invoice, Student, Subscription
from students.portal.services import sign_in_link
from tests.fixtures.vendors import load
from tests.students.billing.conftest import SITE_URL, event
from tests.students.billing.test_webhooks import checkout_session, invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(lucia):
    Student.objects.filter(pk=lucia.pk).update(stripe_customer_id="cus_1")
    lucia.refresh_from_db()
    return lucia


@pytest.fixture
def subscribed(fake_stripe, linked, deliver):
    deliver(event("customer.subscription.created", fake_stripe.set_subscription()))
    return linked


def signed_in(client, student):
    client.post(sign_in_link(student=student).removeprefix(SITE_URL))
    return client


def test_the_page_shows_plan_status_next_charge_and_invoices(client, subscribed, deliver):
    paid = {**invoice(), "status": "paid", "total": 2900, "number": "CO-0001"}
    paid |= {"created": 1_764_547_200, "invoice_pdf": "https://pay.stripe.com/invoice/in_1/pdf"}
    deliver(event("invoice.paid", paid))

    page = signed_in(client, subscribed).get("/portal/suscripcion/").content.decode()

    assert "Básico · 29,00 USD" in page
    assert "Activa" in page
    assert "Próximo cobro" in page
    # The item's current_period_end and the invoice's date, in her zone (Mexico City).
    assert "31 de diciembre de 2026" in page
    assert "30 de noviembre de 2025" in page
    assert "Pagada" in page
    assert 'href="https://pay.stripe.com/invoice/in_1/pdf"' in page
    assert "PDF de la factura CO-0001" in page
    assert 'action="/portal/suscripcion/cambiar/premium/"' in page  # the dearer plan
    assert '<a href="/portal/suscripcion/" aria-current="page">Mi suscripción</a>' in page


def test_a_signed_out_visitor_is_sent_to_sign_in_and_cannot_open_stripe(client, subscribed):
    assert client.get("/portal/suscripcion/").url == "/portal/entrar/"
    assert client.post("/portal/suscripcion/gestionar/").url == "/portal/entrar/"
    assert client.post("/portal/suscripcion/cambiar/premium/").url == "/portal/entrar/"


def test_the_manage_button_opens_a_customer_portal_session_for_this_customer(
    client, subscribed, fake_stripe
):
    response = signed_in(client, subscribed).post("/portal/suscripcion/gestionar/")

    assert response.url.startswith("https://billing.stripe.com/p/session/")
    [(params, _headers)] = fake_stripe.requests("/v1/billing_portal/sessions")
    assert params["customer"] == "cus_1"
    assert params["return_url"] == f"{SITE_URL}/portal/"


def test_stripe_down_on_the_manage_button_says_so_on_the_page(client, subscribed, fake_stripe):
    from tests.students.billing.conftest import stripe_error

    fake_stripe.fail_next.append(stripe_error(500, "boom", type_="api_error"))
    signed_in(client, subscribed)

    response = client.post("/portal/suscripcion/gestionar/", follow=True)

    assert response.redirect_chain[-1][0] == "/portal/suscripcion/"
    assert "No pudimos abrir la página de pago" in response.content.decode()


def test_an_upgrade_opens_checkout_that_names_the_subscription_it_replaces(
    client, subscribed, fake_stripe
):
    response = signed_in(client, subscribed).post("/portal/suscripcion/cambiar/premium/")

    assert response.url.startswith("https://checkout.stripe.com/")
    [(params, _headers)] = fake_stripe.requests("/v1/checkout/sessions")
    assert params["line_items[0][price]"] == "price_premium"
    assert params["customer"] == "cus_1"  # the same Stripe customer
    assert params["metadata[replaces]"] == "sub_1"
    assert params["metadata[student]"] == str(subscribed.pk)
    # Not a cheaper or the same plan.
    assert client.post("/portal/suscripcion/cambiar/basico/").status_code == 404


def test_a_paid_upgrade_cancels_the_replaced_subscription_once(
    fake_stripe, subscribed, plans, deliver
):
    fake_stripe.set_subscription(id="sub_2", price="price_premium", plan="premium")
    session = checkout_session(session_id="cs_up")
    session.update(subscription="sub_2", metadata={"plan": "premium", "replaces": "sub_1"})

    deliver(event("checkout.session.completed", session))
    deliver(event("checkout.session.completed", session))  # Stripe delivers it again

    subscribed.refresh_from_db()
    assert subscribed.plan.slug == "premium"
    assert subscribed.status == Student.Status.ACTIVE
    statuses = dict(Subscription.objects.values_list("stripe_subscription_id", "status"))
    assert statuses == {"sub_1": "canceled", "sub_2": "active"}
    cancels = [r for r, _ in fake_stripe.server.log if r.method == "DELETE"]
    assert [r.path for r in cancels] == ["/v1/subscriptions/sub_1"]  # the second: not live
    assert cancels[0].args["prorate"] == "true"
    assert cancels[0].headers["Idempotency-Key"] == "upgrade-cancel-sub_1"
    # Bought from inside the portal: no sign-in email for it.
    assert not OutboundMessage.objects.filter(template="students/sign_in").exists()


def test_an_upgrade_never_cancels_someone_elses_subscription(fake_stripe, subscribed, deliver):
    other = Student.objects.create(
        full_name="Otra", email="otra@example.com", plan=subscribed.plan, source="api"
    )
    Subscription.objects.create(
        student=other, plan=subscribed.plan, stripe_subscription_id="sub_x", status="active"
    )
    fake_stripe.set_subscription(id="sub_2", price="price_premium", plan="premium")
    session = checkout_session(session_id="cs_up")
    session.update(subscription="sub_2", metadata={"plan": "premium", "replaces": "sub_x"})

    deliver(event("checkout.session.completed", session))

    assert not [r for r, _ in fake_stripe.server.log if r.method == "DELETE"]
    assert Subscription.objects.get(stripe_subscription_id="sub_x").status == "active"


def test_a_past_due_student_sees_the_banner_on_every_portal_page(client, fake_stripe, subscribed):
    Student.objects.filter(pk=subscribed.pk).update(status=Student.Status.PAST_DUE)
    signed_in(client, subscribed)

    for path in ("/portal/", "/portal/lecciones/", "/portal/progreso/", "/portal/suscripcion/"):
        page = client.get(path).content.decode()
        assert "No pudimos cobrar tu última cuota" in page, path
        link = re.search(r'href="(https://ops\.example\.com/pago/portal/[^"]+)"', page).group(1)
        assert client.get(link.removeprefix(SITE_URL)).url.startswith("https://billing.stripe.com/")

    Student.objects.filter(pk=subscribed.pk).update(status=Student.Status.ACTIVE)
    assert "No pudimos cobrar" not in client.get("/portal/").content.decode()


def test_the_invoice_mirror_keeps_a_paid_invoice_paid_when_an_older_event_arrives_late(
    fake_stripe, subscribed, deliver
):
    fake_stripe.set_subscription(status="past_due")
    paid = {**invoice(), "status": "paid", "total": 2900, "created": 1_764_547_200}
    deliver(event("invoice.paid", paid))
    deliver(event("invoice.payment_failed", {**paid, "status": "open"}))

    stored = Invoice.objects.get()
    assert (stored.status, stored.total, stored.currency) == ("paid", 29, "usd")
    assert stored.subscription.stripe_subscription_id == "sub_1"
    assert stored.issued_at == datetime(2025, 12, 1, tzinfo=UTC)
    # The person's data export carries it too.
    [exported] = export_data("lucia@example.com")["students.invoices"]
    assert exported["stripe_invoice_id"] == "in_1"


def test_stripes_own_invoice_paid_fixture_is_mirrored(fake_stripe, linked, plans, deliver):
    payload = load("stripe", "invoice.paid")
    subscription_id = payload["data"]["object"]["parent"]["subscription_details"]["subscription"]
    customer = payload["data"]["object"]["customer"]
    Student.objects.filter(pk=linked.pk).update(stripe_customer_id=customer)
    fake_stripe.set_subscription(id=subscription_id, customer=customer)

    deliver(payload)

    stored = Invoice.objects.get()
    assert stored.stripe_invoice_id == payload["data"]["object"]["id"]
    assert stored.student == linked
    assert stored.total == 10  # 1000 cents
    assert stored.status == "paid"


def test_a_new_buyer_gets_one_sign_in_link_from_the_checkout_webhook(
    fake_stripe, plans, deliver, client
):
    fake_stripe.set_subscription(email="")
    completed = event("checkout.session.completed", checkout_session())

    deliver(completed)
    deliver(event("checkout.session.completed", checkout_session()))  # again, a new event id

    student = Student.objects.get()
    [message] = OutboundMessage.objects.filter(template="students/sign_in")
    assert message.recipient == "lucia@example.com"
    assert message.idempotency_key == "students.billing.checkout_access.cs_test_1"
    link = re.search(r"https://\S+/portal/acceso/\S+/", message.text_body).group(0)
    assert client.post(link.removeprefix(SITE_URL)).url == "/portal/"
    assert client.get("/portal/").context["student"] == student
    assert any("portal/acceso" in m.body for m in mail.outbox)
