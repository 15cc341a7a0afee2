"""Outbox figures: queries per send, throughput of the sweeper, admin list queries.

Sends go through a no-op email backend (it renders each email and discards it) with
Celery eager, so the figures
are our own overhead, not a provider's latency. The baseline is a bare loop handing the
same emails to the same backend through the same `send_email` (building each message
included), with no outbox around it: the ratio is what the outbox costs.
"""

import contextlib
import io
import logging
import os
import statistics
import time

from bench.harness import bench_database, setup_django

MESSAGES = int(os.environ.get("BENCH_OUTBOX_MESSAGES", "10000"))
# Alternated rounds of the baseline and the outbox; the medians are the figures (a shared
# machine's load moves between rounds).
ROUNDS = int(os.environ.get("BENCH_OUTBOX_ROUNDS", "5"))
NOOP_BACKEND = "bench.outbox.RenderingNoopBackend"
# The bodies: one short sentence by default; BENCH_OUTBOX_BODY_REPEAT=110 makes them about
# 4 KB each, the size of a real reminder, where the outbox row's full-text indexes (the
# erasure search) cost most of a send (bench/README.md, Outbox).
BODY_REPEAT = int(os.environ.get("BENCH_OUTBOX_BODY_REPEAT", "1"))
TEXT = "Te esperamos mañana a las 19:00. " * BODY_REPEAT
HTML = "<p>Te esperamos mañana a las 19:00.</p>" * BODY_REPEAT


class RenderingNoopBackend:
    """A provider that answers at once: it renders each email to bytes, as every real
    backend must before sending, and discards them. (Django's dummy backend skips the
    rendering too, which no provider does, and would make any outbox look slow.)"""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, email_messages):
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)


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
                text_body=TEXT,
                html_body=HTML,
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


def bare_loop(count):
    """The baseline: the same emails straight to the same backend, no outbox."""
    from django.core.mail import get_connection

    from courseops.messaging.providers.email import send_email

    connection = get_connection()
    started = time.perf_counter()
    for number in range(count):
        send_email(
            to=f"student{number}@example.com",
            subject="Recordatorio de clase",
            text=TEXT,
            html=HTML,
            headers={},
            outbound_id=number,
            connection=connection,
        )
    return time.perf_counter() - started


def send_queued(count):
    """Rows queued, then sent as a worker does: the sweeper's batches, each one task."""
    from courseops.messaging import services
    from courseops.messaging.models import OutboundMessage

    OutboundMessage.objects.all().delete()
    _rows(count)
    started = time.perf_counter()
    with counting_queries() as queries:
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

    app.conf.task_always_eager = True
    logging.disable(logging.INFO)  # one log line per task would dominate the timing
    with bench_database():
        settings.EMAIL_BACKEND = NOOP_BACKEND  # after the test set-up, which sets locmem
        print(f"queries for one message sent alone (no-op backend): {queries_per_send()}")

        # Alternated, so both see the same load on a shared machine.
        rates, ratios = [], []
        for _round in range(ROUNDS):
            bare = bare_loop(MESSAGES)
            sent, elapsed, queries = send_queued(MESSAGES)
            print(
                f"bare loop, {MESSAGES:,} emails to the no-op backend: {bare:.2f} s "
                f"({MESSAGES / bare:,.0f}/s)"
            )
            print(
                f"outbox, {MESSAGES:,} queued messages sent via the sweeper's batches: "
                f"{sent:,} sent in {elapsed:.2f} s ({sent / elapsed:,.0f}/s), {queries:,} "
                f"queries ({queries / sent:.2f} per message); "
                f"ratio to the bare loop {bare / elapsed:.0%}"
            )
            rates.append(sent / elapsed)
            ratios.append(bare / elapsed)
        print(
            f"median of {ROUNDS} rounds: outbox {statistics.median(rates):,.0f} messages/s, "
            f"ratio to the bare loop {statistics.median(ratios):.0%}"
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
