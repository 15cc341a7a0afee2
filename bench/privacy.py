"""Erasure: one person with rows in every app, among few or many other people.

Each person (the one erased and every other) has a student with an intake record and a
phone, a webinar registration, a lead with consent in an ad audience, an email and an SMS
in the outbox, a review draft, a support ticket, a webhook event that names them, audit
entries, a survey answer, activity and a question. `erase_person` is measured for a few
people at each size (statements sent, wall time): neither should grow with the number of
other people. Outside services stay local (no Stripe customer, no LMS, console audience).
"""

import os
import statistics
import time
from datetime import timedelta

from bench.harness import bench_database, setup_django

SIZES = tuple(int(n) for n in os.environ.get("BENCH_PRIVACY_SIZES", "1000,10000").split(","))
ERASED_PER_SIZE = 3
BATCH = 1000


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _world():
    """What every person's rows hang on: a plan, a webinar, a survey, an audience..."""
    from django.utils import timezone

    from content.models import Course, Lesson
    from marketing.audiences.models import AdAudience
    from marketing.models import Segment
    from students.models import Plan
    from surveys.models import Survey
    from webinars.models import Webinar

    plan = Plan.objects.create(slug="pro", name="Pro")
    webinar = Webinar.objects.create(
        title="IA práctica", starts_at=timezone.now() - timedelta(days=3), time_zone="UTC"
    )
    segment = Segment.objects.create(name="Todos", rules={"conditions": []})
    audience = AdAudience.objects.create(name="Retargeting", segment=segment)
    lesson = Lesson.objects.create(course=Course.objects.create(title="IA", slug="ia"), title="1")
    survey = Survey.objects.create(kind=Survey.Kind.WEBINAR, webinar=webinar)
    return {
        "plan": plan,
        "webinar": webinar,
        "audience": audience,
        "lesson": lesson,
        "survey": survey,
    }


def _people(world, numbers):
    """Rows in every app for each person number, created in bulk."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from courseops.audit.models import AuditEntry
    from courseops.messaging.models import OutboundMessage, Status
    from courseops.reviews.models import Draft
    from courseops.support.models import Ticket
    from courseops.webhooks.models import WebhookEvent
    from engagement.models import ActivityEvent, Question
    from marketing.audiences.models import AudienceMember
    from marketing.audiences.services import sha256
    from marketing.models import Lead
    from students.models import IntakeRecord, Student
    from surveys.models import Answer
    from webinars.models import Registration

    now = timezone.now()
    student_type = ContentType.objects.get_for_model(Student)

    def email(n):
        return f"persona{n}@example.com"

    def name(n):
        return f"Persona Número{n}"

    def phone(n):
        return f"+3460{n:07d}"

    students = Student.objects.bulk_create(
        [
            Student(
                full_name=name(n),
                email=email(n),
                phone=phone(n),
                plan=world["plan"],
                source=Student.Source.API,
                status=Student.Status.ACTIVE,
            )
            for n in numbers
        ],
        batch_size=BATCH,
    )
    pairs = list(zip(numbers, students, strict=True))
    IntakeRecord.objects.bulk_create(
        [
            IntakeRecord(
                source="api",
                status=IntakeRecord.Status.ACCEPTED,
                student=student,
                data={"email": email(n), "full_name": name(n), "phone": phone(n)},
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    Registration.objects.bulk_create(
        [
            Registration(
                webinar=world["webinar"],
                student=student,
                email=email(n),
                name=name(n),
                phone=phone(n),
                source="api",
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    leads = Lead.objects.bulk_create(
        [
            Lead(
                email=email(n),
                name=name(n),
                phone=phone(n),
                student=student,
                first_source="api",
                last_source="api",
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    AudienceMember.objects.bulk_create(
        [
            AudienceMember(
                audience=world["audience"],
                lead=lead,
                email_hash=sha256(email(n)),
                phone_hash=sha256(phone(n)[1:]),
                added_at=now,
            )
            for n, lead in zip(numbers, leads, strict=True)
        ],
        batch_size=BATCH,
    )
    OutboundMessage.objects.bulk_create(
        [
            message
            for n, student in pairs
            for message in (
                OutboundMessage(
                    channel="email",
                    category="engagement",
                    recipient=email(n),
                    person_key=email(n),
                    subject=f"Hola {name(n)}",
                    text_body=f"Hola {name(n)}, tu clase empieza pronto.",
                    html_body=f"<p>Hola {name(n)}, tu clase empieza pronto.</p>",
                    context={"name": name(n)},
                    idempotency_key=f"bench.privacy.email.{n}",
                    status=Status.SENT,
                    content_type=student_type,
                    object_id=str(student.pk),
                ),
                OutboundMessage(
                    channel="sms",
                    category="transactional",
                    recipient=phone(n),
                    person_key=email(n),
                    text_body="Tu clase empieza en 10 minutos.",
                    idempotency_key=f"bench.privacy.sms.{n}",
                    status=Status.SENT,
                ),
            )
        ],
        batch_size=BATCH,
    )
    Draft.objects.bulk_create(
        [
            Draft(
                kind="welcome_email",
                recipient=email(n),
                target_repr=name(n),
                subject=f"Bienvenida {name(n)}",
                body=f"<p>Hola {name(n)}</p>",
                content_type=student_type,
                object_id=str(student.pk),
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    Ticket.objects.bulk_create(
        [
            Ticket(
                subject=f"Llamar a {name(n)}",
                description=f"Teléfono {phone(n)}",
                content_type=student_type,
                object_id=str(student.pk),
                key=f"bench.privacy.{n}",
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    WebhookEvent.objects.bulk_create(
        [
            WebhookEvent(
                provider="stripe",
                event_id=f"evt_bench_{n}",
                event_type="customer.created",
                body=f'{{"email": "{email(n)}"}}',
                payload={"data": {"object": {"email": email(n)}}},
                status=WebhookEvent.Status.PROCESSED,
            )
            for n in numbers
        ],
        batch_size=BATCH,
    )
    AuditEntry.objects.bulk_create(
        [
            entry
            for n, student in pairs
            for entry in (
                AuditEntry(
                    action="students.student.created",
                    content_type=student_type,
                    object_id=str(student.pk),
                    object_repr=name(n),
                    data={"email": email(n)},
                ),
                AuditEntry(
                    action="messaging.message.sent",
                    object_repr=f"Correo {email(n)}",
                    data={"channel": "email"},
                ),
            )
        ],
        batch_size=BATCH,
    )
    Answer.objects.bulk_create(
        [
            Answer(
                survey=world["survey"],
                respondent=email(n),
                student=student,
                score=4,
                comment=f"Soy {name(n)}",
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                student=student,
                kind="lesson_viewed",
                occurred_at=now,
                source="portal",
                metadata={"by": name(n)},
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    Question.objects.bulk_create(
        [
            Question(
                student=student,
                email=email(n),
                text=f"Soy {name(n)}: ¿dónde están los materiales?",
                channel="portal",
            )
            for n, student in pairs
        ],
        batch_size=BATCH,
    )
    return [email(n) for n in numbers]


def _vacuum(connection):
    """What autovacuum does after such a load: statistics, and the GIN indexes' pending
    lists merged (a search reads a pending list through)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _erase(email):
    from django.db import connection

    from courseops.operations.privacy.services import erase_person

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        erasure = erase_person(email)
    elapsed = time.perf_counter() - started
    assert erasure.touched["students.students"] == 1, erasure.touched
    return counter.count, elapsed


def main():
    setup_django()
    with bench_database():
        import logging

        from django.db import connection

        logging.disable(logging.INFO)  # the console audience logs every change
        world = _world()
        present = 0
        next_number = 0
        for size in SIZES:
            started = time.perf_counter()
            _people(world, range(next_number, next_number + size - present))
            next_number += size - present
            present = size
            targets = _people(world, range(next_number, next_number + ERASED_PER_SIZE))
            next_number += ERASED_PER_SIZE
            built = time.perf_counter() - started
            _vacuum(connection)
            _erase(targets[0])  # warm: content types, prompt of the registry, caches
            runs = [_erase(email) for email in targets[1:]]
            queries = sorted({count for count, _seconds in runs})
            seconds = statistics.median(seconds for _count, seconds in runs)
            print(
                f"erase 1 person among {size:>6,} others: {'/'.join(map(str, queries))} "
                f"statements, {seconds * 1000:.0f} ms (median of {len(runs)}; "
                f"data built in {built:.0f} s, {connection.vendor})",
                flush=True,
            )
