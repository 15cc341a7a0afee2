"""Registration intake: cost of `register_student`, and racing duplicate Typeform deliveries.

1. 10,000 new registrations through the service (validation, dedupe, records, student,
   pipeline rows, audit entry, task publish), then 1,000 re-registrations and 1,000 invalid
   ones: queries per registration and registrations per second. Tasks go to an in-memory
   broker nobody consumes, so the figure is intake's own cost, not the onboarding steps'.
2. 100 threads deliver the same signed Typeform `form_response` to /webhooks/typeform/ at
   the same instant, then 100 threads call the service with the same submission (as if
   the inbox had let every copy through): each must leave 1 student and 1 record.
"""

import base64
import hashlib
import hmac
import json
import os
import threading
import time

from bench.harness import bench_database, setup_django

REGISTRATIONS = int(os.environ.get("BENCH_ONBOARDING_REGISTRATIONS", 10_000))
EXTRA = REGISTRATIONS // 10
THREADS = int(os.environ.get("BENCH_ONBOARDING_THREADS", 100))
SECRET = "bench-typeform-secret"


def registration(n, plan):
    return {
        "email": f"alumna{n}@example.com",
        "full_name": f"Alumna Número {n}",
        "phone": f"55 1{n % 1000:03d} {n % 10000:04d}",
        "country": "MX",
        "plan": plan,
        "interests": ["machine learning", "nlp"],
        "consent": True,
        "utm_source": "bench",
    }


def run_batch(label, items):
    from django.db import connection

    from students.intake.services import register_student

    executed = 0

    def count(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    worst = 0
    started = time.perf_counter()
    # A counting wrapper, not CaptureQueriesContext: its log keeps only the last 9,000.
    with connection.execute_wrapper(count):
        for data, external_id in items:
            before = executed
            register_student(data=data, source="api", external_id=external_id)
            worst = max(worst, executed - before)
    elapsed = time.perf_counter() - started
    count = len(items)
    print(
        f"{label:<28} {count:>6}: {executed / count:5.1f} queries each (max {worst}), "
        f"{count / elapsed:6.1f} registrations/s ({elapsed:.1f} s, {connection.vendor})"
    )


def measure_service(plans):
    from students.models import IntakeRecord, Student

    slugs = [p.slug for p in plans]
    run_batch(
        "new registrations",
        [(registration(n, slugs[n % 2]), f"new-{n}") for n in range(REGISTRATIONS)],
    )
    run_batch(
        "re-registrations (upgrade)",
        [(registration(n, slugs[2]), f"again-{n}") for n in range(EXTRA)],
    )
    run_batch(
        "invalid registrations",
        [
            ({**registration(n, "oro"), "email": f"x{n}@gmial.com"}, f"bad-{n}")
            for n in range(EXTRA)
        ],
    )
    print(f"students: {Student.objects.count()}, intake records: {IntakeRecord.objects.count()}")


def race(target):
    from django.db import connections

    barrier = threading.Barrier(THREADS)
    errors = []

    def run():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # counted and shown: the figure is how many failed
            errors.append(f"{type(exc).__name__}: {exc}"[:120])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def typeform_payload():
    return {
        "event_id": "01BENCHRACE0000000000000000",
        "event_type": "form_response",
        "form_response": {
            "form_id": "benchform",
            "token": "bench-token-1",
            "submitted_at": "2026-11-25T13:00:00Z",
            "hidden": {"utm_source": "bench"},
            "answers": [
                {"type": "text", "text": "Carla Ruiz", "field": {"id": "a", "ref": "nombre"}},
                {
                    "type": "email",
                    "email": "carla@example.com",
                    "field": {"id": "b", "ref": "correo"},
                },
                {
                    "type": "choice",
                    "choice": {"label": "Premium"},
                    "field": {"id": "c", "ref": "plan"},
                },
            ],
        },
    }


def measure_race():
    from django.conf import settings
    from django.test import Client

    from courseops.webhooks.models import WebhookEvent
    from students.intake.services import register_student
    from students.intake.typeform import registration_data
    from students.models import IntakeRecord, Student, TypeformForm

    settings.TYPEFORM_WEBHOOK_SECRET = SECRET
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    form = TypeformForm.objects.create(
        form_id="benchform",
        field_refs={"full_name": "nombre", "email": "correo", "plan": "plan"},
        hidden_fields={"utm_source": "utm_source"},
    )
    payload = typeform_payload()
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    statuses = []

    def deliver():
        response = Client().post(
            "/webhooks/typeform/",
            body,
            content_type="application/json",
            headers={"Typeform-Signature": f"sha256={signature}"},
        )
        statuses.append(response.status_code)

    elapsed, errors = race(deliver)
    from courseops.webhooks.services import event_process

    for event in WebhookEvent.objects.filter(provider="typeform"):
        event_process(event_pk=event.pk)  # what the worker does with the stored event
    carla = Student.objects.filter(email="carla@example.com").count()
    records = IntakeRecord.objects.filter(source="typeform").count()
    print(
        f"{THREADS} simultaneous deliveries of one Typeform event: {elapsed:.2f} s, "
        f"answers {sorted(set(statuses))}, {len(errors)} errors, "
        f"{WebhookEvent.objects.filter(provider='typeform').count()} event stored, "
        f"{carla} student, {records} intake record"
    )
    for error in sorted(set(errors))[:3]:
        print(f"  error: {error}")

    measure_pipeline_race(Student.objects.get(email="carla@example.com"))

    data = registration_data(form, {**payload["form_response"]})
    data["email"] = "diego@example.com"
    elapsed, errors = race(
        lambda: register_student(data=data, source="typeform", external_id="benchform:race-2")
    )
    print(
        f"{THREADS} simultaneous service calls, one submission: {elapsed:.2f} s, "
        f"{len(errors)} errors, "
        f"{Student.objects.filter(email='diego@example.com').count()} student, "
        f"{IntakeRecord.objects.filter(external_id='benchform:race-2').count()} intake record"
    )
    for error in sorted(set(errors))[:3]:
        print(f"  error: {error}")


def measure_pipeline_race(student):
    """The raced student's onboarding, run by THREADS workers at once (a redelivered task,
    the sweeper and a staff retry together), with the welcome email under `auto`."""
    from django.conf import settings

    from courseops.celery import app as celery_app
    from courseops.messaging.models import OutboundMessage
    from courseops.reviews.models import Draft, ReviewPolicy
    from students.onboarding.pipeline import run_onboarding

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ReviewPolicy.objects.update_or_create(kind="welcome_email", defaults={"mode": "auto"})
    celery_app.conf.task_always_eager = True
    try:
        elapsed, errors = race(lambda: run_onboarding(student_id=student.pk))
    finally:
        celery_app.conf.task_always_eager = False
    student.refresh_from_db()
    drafts = Draft.objects.filter(kind="welcome_email", object_id=str(student.pk)).count()
    emails = OutboundMessage.objects.filter(recipient=student.email).count()
    print(
        f"{THREADS} simultaneous pipeline runs for that student: {elapsed:.2f} s, "
        f"{len(errors)} errors, status {student.status}, {drafts} welcome draft, "
        f"{emails} email queued"
    )
    for error in sorted(set(errors))[:3]:
        print(f"  error: {error}")


def main():
    # Publish the pipeline's tasks to a broker in this process that nobody consumes.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    setup_django()
    with bench_database() as connection:
        from decimal import Decimal

        from courseops.celery import app as celery_app
        from students.models import Plan

        celery_app.conf.broker_url = "memory://"
        celery_app.conf.task_always_eager = False
        plans = [
            Plan.objects.create(slug=slug, name=slug.title(), price=Decimal(price), sort_order=i)
            for i, (slug, price) in enumerate((("basico", 49), ("premium", 149), ("vip", 399)))
        ]
        measure_service(plans)
        if connection.vendor == "postgresql":
            measure_race()
        else:
            print("race: skipped (needs PostgreSQL for concurrent writers)")
