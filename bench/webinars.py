"""Reminder scan figures: 200 webinars, 50,000 registrations, the 1-day reminder due for all.

Prints queries and time per scan (each scan claims up to `SCAN_LIMIT` pairs), the query
count of a scan at a tenth of the size (it must not change), and how fast claimed
reminders become outbox rows (email + SMS for the half with a phone and SMS consent).
Tasks the services enqueue on commit are discarded: the figures are the scan's and the
queuing's own work, not sending (see `bench outbox` for that).
"""

import contextlib
import time
from datetime import timedelta

from bench.harness import bench_database, setup_django
from bench.outbox import counting_queries

WEBINARS = 200
PER_WEBINAR = 250
QUEUE_SAMPLE = 5_000


@contextlib.contextmanager
def discarding_on_commit():
    """Commit the work but drop the tasks it enqueued (no broker, no sending)."""
    from django.db import connection, transaction

    with transaction.atomic():
        start = len(connection.run_on_commit)
        yield
        del connection.run_on_commit[start:]


def populate(webinars, per_webinar, *, now, prefix="w"):
    from webinars.models import Registration, Reminder, Webinar
    from webinars.services import DEFAULT_REMINDERS

    starts_at = now + timedelta(days=1, minutes=-1)
    rows = Webinar.objects.bulk_create(
        [
            Webinar(
                title=f"{prefix}{number}",
                starts_at=starts_at,
                time_zone="America/Mexico_City",
                is_public=True,
                status=Webinar.Status.SCHEDULED,
                meeting_provider="jitsi",
                meeting_url=f"https://meet.jit.si/bench-{prefix}{number}",
            )
            for number in range(webinars)
        ]
    )
    Reminder.objects.bulk_create(
        [Reminder(webinar=webinar, **values) for webinar in rows for values in DEFAULT_REMINDERS]
    )
    Registration.objects.bulk_create(
        [
            Registration(
                webinar=webinar,
                email=f"{prefix}{webinar.pk}-{number}@example.com",
                name=f"Persona {number}",
                phone=f"+5255{number:08d}" if number % 2 else "",
                sms_consent=bool(number % 2),
                time_zone="America/Mexico_City",
                source=Registration.Source.API,
            )
            for webinar in rows
            for number in range(per_webinar)
        ],
        batch_size=2000,
    )
    Registration.objects.update(created_at=now - timedelta(days=30))


def scan_once():
    from webinars.services import scan_due_reminders

    started = time.perf_counter()
    with discarding_on_commit(), counting_queries() as queries:
        claimed = scan_due_reminders()
    return claimed, queries.count, time.perf_counter() - started


def run():
    import time_machine
    from django.utils import timezone

    from webinars.models import ReminderDelivery, Webinar
    from webinars.services import deliver_reminders

    now = timezone.now().replace(microsecond=0)
    populate(WEBINARS // 10, PER_WEBINAR, now=now, prefix="small")
    with time_machine.travel(now, tick=False):
        small_claimed, small_queries, _ = scan_once()
    ReminderDelivery.objects.all().delete()
    Webinar.objects.all().delete()

    started = time.perf_counter()
    populate(WEBINARS, PER_WEBINAR, now=now)
    print(
        f"populated {WEBINARS} webinars, {WEBINARS * PER_WEBINAR} registrations "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(f"scan at {WEBINARS // 10} webinars: {small_claimed} claimed, {small_queries} queries")
    scans = []
    with time_machine.travel(now, tick=True):
        while True:
            claimed, queries, seconds = scan_once()
            if not claimed:
                print(f"scan with nothing left due: {queries} queries, {seconds * 1000:.0f} ms")
                break
            scans.append((claimed, queries, seconds))
    for number, (claimed, queries, seconds) in enumerate(scans, 1):
        print(f"scan {number}: {claimed} claimed, {queries} queries, {seconds * 1000:.0f} ms")
    total = sum(claimed for claimed, _, _ in scans)
    print(
        f"{total} reminders claimed in {len(scans)} scans, "
        f"{sum(s for _, _, s in scans):.2f} s in all"
    )

    sample = list(ReminderDelivery.objects.values_list("pk", flat=True)[:QUEUE_SAMPLE])
    with time_machine.travel(now, tick=True), counting_queries() as queries:
        started = time.perf_counter()
        with discarding_on_commit():
            deliver_reminders(delivery_ids=sample)
        seconds = time.perf_counter() - started
    from courseops.messaging.models import OutboundMessage

    messages = OutboundMessage.objects.count()
    print(
        f"queued {messages} messages for {len(sample)} reminders in {seconds:.1f} s: "
        f"{messages / seconds:.0f} messages/s, {queries.count / len(sample):.1f} queries "
        f"per reminder"
    )


def main():
    import logging

    setup_django()
    logging.disable(logging.INFO)
    with bench_database():
        run()


if __name__ == "__main__":
    main()
