"""The issue's test, in process: an integrator subscribes through the API to every event,
each event is triggered through the code that makes it happen (the registration door,
the onboarding pipeline, Stripe's signed webhooks, webinars, lessons, questions, risk,
leads, surveys, an erasure), and the receiver gets each exactly once, signed so that
the `standardwebhooks` library verifies it, with a body that matches its schema.

(The killed-worker half of the issue's test is tests/outbound/test_processes.py.)"""

import json
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import stripe
from django.utils import timezone

from content.models import Course, Lesson
from content.services.publishing import publish_lesson
from courseops.operations.privacy.services import erase_person
from courseops.outbound.catalogue import event_types
from courseops.outbound.models import Delivery
from engagement.models import Question, RiskWeights
from engagement.services.faq import hand_over
from engagement.services.risk import daily_risk_run
from marketing.services.leads import capture_lead, link_student
from students.intake.services import register_student
from students.models import Plan, Student
from students.services import plan_changed
from surveys.models import Survey
from surveys.services import record_answer
from tests.outbound.conftest import received, receiver_url, subscribe, verified
from tests.students.billing.conftest import WEBHOOK_SECRET, FakeStripe, event
from webinars.models import Recording, Registration
from webinars.services.attendance import attendance_record, attendance_settle
from webinars.services.registrations import registration_create
from webinars.services.video import video_apply
from webinars.services.webinars import webinar_create, webinar_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_stripe(receiver, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_outbound"
    settings.STRIPE_API_BASE = receiver.url_for("/").rstrip("/")
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.SITE_URL = "https://ops.example.com"
    settings.STRIPE_PORTAL_RETURN_URL = "https://ops.example.com/portal/"
    return FakeStripe(receiver)


def stripe_webhook(client, payload):
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, WEBHOOK_SECRET, timestamp=int(time.time())
    )
    response = client.post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert response.status_code == 200, response.content


def invoice(attempt):
    return {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_1",
        "currency": "usd",
        "amount_due": 2900,
        "attempt_count": attempt,
        "next_payment_attempt": 1_765_000_000,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_1", "metadata": {}},
        },
    }


def trigger_every_event(client, fake_stripe, committed):
    """Each event through the code that makes it happen; each step commits (its on-commit
    tasks run eagerly, as a worker would) before the next."""
    for slug, price in (("basico", 29), ("premium", 79)):
        Plan.objects.create(
            slug=slug, name=slug.title(), price=price, stripe_price_id=f"price_{slug}"
        )
    # lead.created (a landing form); student.registered and student.onboarded (the
    # registration door and its pipeline); lead.converted (marketing links the two).
    with committed(execute=True):
        capture_lead(data={"email": "lucia@example.com", "name": "Lucía"}, source="landing")
    with committed(execute=True):
        result = register_student(
            data={"email": "lucia@example.com", "full_name": "Lucía Pérez", "plan": "basico"},
            source="api",
        )
    student = Student.objects.get(pk=result.student.pk)
    assert student.status == Student.Status.ACTIVE
    with committed(execute=True):
        link_student(student)
    # student.plan_changed (staff); payment.failed and subscription.cancelled (Stripe's
    # signed webhooks through the inbound door).
    with committed(execute=True):
        basico = student.plan_id
        student.plan = Plan.objects.get(slug="premium")
        student.save(update_fields=["plan"])
        plan_changed(student=student, old_plan_id=basico, source="admin")
    Student.objects.filter(pk=student.pk).update(stripe_customer_id="cus_1")
    premium = {"price": "price_premium", "plan": "premium"}
    for payload in (
        event("customer.subscription.created", fake_stripe.set_subscription(**premium)),
        event(
            "invoice.payment_failed",
            invoice(attempt=1)
            if fake_stripe.set_subscription(**premium, status="past_due")
            else {},
        ),
        event(
            "customer.subscription.deleted",
            fake_stripe.set_subscription(**premium, status="canceled"),
        ),
    ):
        with committed(execute=True):
            stripe_webhook(client, payload)
    # webinar.registered (twice), webinar.attended, webinar.missed, recording.published.
    now = timezone.now()
    with committed(execute=True):
        webinar = webinar_schedule(
            webinar=webinar_create(
                title="Agentes", description="", starts_at=now + timedelta(days=1),
                time_zone="America/Mexico_City", is_public=True, plans=(),
            )
        )  # fmt: skip
    with committed(execute=True):
        came = registration_create(
            webinar=webinar, email="ana@example.com", source=Registration.Source.API
        )
        registration_create(
            webinar=webinar, email="beto@example.com", source=Registration.Source.API
        )
    with committed(execute=True):
        attendance_record(registration=came, attended=True, minutes=45, source="csv")
    type(webinar).objects.filter(pk=webinar.pk).update(
        starts_at=now - timedelta(hours=3), status=type(webinar).Status.FINISHED
    )
    webinar.refresh_from_db()
    with committed(execute=True):
        attendance_settle(webinar=webinar)
    recording = Recording.objects.create(
        webinar=webinar, source="upload", watch_url="https://www.youtube.com/watch?v=abc123"
    )
    draft = SimpleNamespace(object_id=recording.pk, subject="Agentes", body="Resumen")
    with committed(execute=True):
        video_apply(draft, None)
    # lesson.published
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    with committed(execute=True):
        publish_lesson(lesson=Lesson.objects.create(course=course, order=1, title="RAG"))
    # question.handed_over
    question = Question.objects.create(
        student=student, email=student.email, text="¿Y mi factura?", channel="portal"
    )
    with committed(execute=True):
        hand_over(question, reason="Sin respuesta en la base de conocimiento.")
    # student.at_risk: an active student silent for weeks, with a reachable high level.
    RiskWeights.current()
    RiskWeights.objects.update(high_from=1, medium_from=1)
    Student.objects.filter(pk=student.pk).update(
        status=Student.Status.ACTIVE, activated_at=now - timedelta(days=40)
    )
    with committed(execute=True):
        daily_risk_run()
    # survey.answered
    survey = Survey.objects.create(kind=Survey.Kind.NPS_DAY_30)
    with committed(execute=True):
        record_answer(survey=survey, respondent=student.email, score=9, comment="Útil")
    # person.erased
    with committed(execute=True):
        erase_person("beto@example.com")


def test_a_subscriber_gets_every_event_once_signed_as_standard_webhooks_verifies(
    client, integrator_api, receiver, fake_stripe, django_capture_on_commit_callbacks
):
    every = sorted(event_types())
    assert len(every) == 16
    sub = subscribe(integrator_api, receiver_url(receiver), every)

    trigger_every_event(client, fake_stripe, django_capture_on_commit_callbacks)

    deliveries = received(receiver)
    payloads = [verified(sub["secret"], headers, body) for headers, body in deliveries]
    kinds = sorted(payload["type"] for payload in payloads)
    assert sorted(set(kinds)) == every
    # Once each, but for the two webinar registrants (one attended, one missed), who
    # also became contacts: Lucía's landing form, then Ana and Beto.
    twice_or_more = {kind: n for kind, n in Counter(kinds).items() if n > 1}
    assert twice_or_more == {"webinar.registered": 2, "lead.created": 3}
    for (headers, _body), payload in zip(deliveries, payloads, strict=True):
        assert headers["Webhook-Id"] == payload["id"]
        assert event_types()[payload["type"]].errors(payload["data"]) == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    # Nothing personal in any body: no email, name or phone.
    for _headers, body in deliveries:
        text = body.decode()
        for personal in ("lucia@example.com", "Lucía", "beto@example.com", "ana@example.com"):
            assert personal not in text
