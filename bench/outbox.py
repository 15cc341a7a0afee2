"""Outbox figures: queries per send, throughput of the sweeper, admin list queries.

Sends go through the console email backend (output discarded) with Celery eager, so
the figures are our own overhead: database work per message, not a provider's latency.
"""

import contextlib
import io
import logging
import time

from bench.harness import bench_database, setup_django

MESSAGES = 10_000


class QueryCounter:
    """Counts every query (CaptureQueriesContext stops at 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def counting_queries():
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def _rows(count, start=0):
    from django.utils import timezone

    from courseops.messaging.models import OutboundMessage

    now = timezone.now()
    return OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                channel="email",
                recipient=f"student{number}@example.com",
                subject="Recordatorio de clase",
                text_body="Te esperamos mañana a las 19:00.",
                html_body="<p>Te esperamos mañana a las 19:00.</p>",
                idempotency_key=f"bench:{number}",
                next_attempt_at=now,
            )
            for number in range(start, start + count)
        ],
        batch_size=1000,
    )


def queries_per_send():
    from courseops.messaging import tasks
    from courseops.messaging.models import OutboundMessage

    message = _rows(1, start=MESSAGES * 10)[0]
    with contextlib.redirect_stdout(io.StringIO()), counting_queries() as queries:
        tasks.send_message.apply(args=[message.pk])
    assert OutboundMessage.objects.get(pk=message.pk).status == "sent"
    message.delete()
    return queries.count


def send_queued(count):
    from courseops.messaging import services
    from courseops.messaging.models import OutboundMessage

    _rows(count)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), counting_queries() as queries:
        while services.dispatch_due_messages():
            pass
    elapsed = time.perf_counter() - started
    sent = OutboundMessage.objects.filter(status="sent").count()
    return sent, elapsed, queries.count


def changelist_queries(client, rows):
    from courseops.messaging.models import OutboundMessage

    OutboundMessage.objects.all().delete()
    _rows(rows)
    with counting_queries() as queries:
        started = time.perf_counter()
        response = client.get("/admin/messaging/outboundmessage/")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return queries.count, elapsed


def main():
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from courseops.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    app.conf.task_always_eager = True
    logging.disable(logging.INFO)  # one log line per task would dominate the timing
    with bench_database():
        print(f"queries per message sent (console backend): {queries_per_send()}")

        sent, elapsed, queries = send_queued(MESSAGES)
        print(
            f"send {MESSAGES:,} queued messages via the sweeper: {sent:,} sent in {elapsed:.1f} s "
            f"({sent / elapsed:,.0f}/s), {queries:,} queries ({queries / sent:.2f} per message)"
        )

        staff = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
        client = Client()
        client.force_login(staff)
        for rows in (10, 1000):
            queries, elapsed = changelist_queries(client, rows)
            print(
                f"admin outbox list with {rows:,} rows: {queries} queries, {elapsed * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
