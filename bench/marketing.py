"""Marketing figures on 100,000 contacts: a segment (queries and time), the campaign
snapshot, queuing speed and memory per batch, and a sending worker killed mid-send.

Figures, not assertions. Tasks the services enqueue on commit are discarded (the figures
are queuing into the outbox, not sending: see `bench outbox` for that).
"""

import os
import signal
import subprocess
import sys
import time
import tracemalloc

from bench.harness import bench_database, setup_django
from bench.outbox import counting_queries
from bench.webinars import discarding_on_commit

CONTACTS = 100_000
SMALL = 10_000
QUEUE_SAMPLE = 20_000
BATCH = 1_000
RULES = {
    "match": "all",
    "conditions": [
        {"field": "consent", "op": "valid", "value": "newsletter_email"},
        {"field": "stage", "op": "in", "value": ["lead", "webinar_registrant"]},
        {
            "match": "any",
            "conditions": [
                {"field": "score", "op": "gte", "value": 5},
                {"field": "tag", "op": "has", "value": "feria"},
                {"field": "country", "op": "is", "value": "ES"},
            ],
        },
    ],
}


def populate(count, *, start=0):
    from django.utils import timezone

    from marketing.models import Consent, Lead, Tag, score_scale

    now = timezone.now()
    scale = score_scale(now)
    stages = ["subscriber", "lead", "webinar_registrant", "lead"]
    leads = Lead.objects.bulk_create(
        [
            Lead(
                email=f"c{n}@example.com",
                name=f"Persona{n} Bench",
                stage=stages[n % 4],
                country=("MX", "ES", "AR", "CO")[n % 4],
                time_zone=("America/Mexico_City", "Europe/Madrid")[n % 2],
                score_points=(n % 10) * scale,
                first_source="csv",
                last_source="csv",
            )
            for n in range(start, start + count)
        ],
        batch_size=5000,
    )
    Consent.objects.bulk_create(
        [
            Consent(
                lead=lead,
                purpose="newsletter_email",
                status="granted" if n % 10 else "pending",
                source="csv",
                text="Boletín",
                requested_at=now,
            )
            for n, lead in enumerate(leads)
        ],
        batch_size=5000,
    )
    feria, _ = Tag.objects.get_or_create(name="feria")
    Lead.tags.through.objects.bulk_create(
        [Lead.tags.through(lead_id=lead.pk, tag_id=feria.pk) for lead in leads[::7]],
        batch_size=5000,
    )


def segment_figures():
    from marketing.services.segments import count_rules

    started = time.perf_counter()
    with counting_queries() as queries:
        members = count_rules(RULES)
    return members, queries.count, time.perf_counter() - started


def make_campaign(name, *, batch_size=BATCH, rules=RULES):
    from django.utils import timezone

    from marketing.models import Campaign, Segment, Variant

    segment = Segment.objects.create(name=name, rules=rules)
    campaign = Campaign.objects.create(name=name, batch_size=batch_size, test_share=0)
    campaign.segments.add(segment)
    Variant.objects.create(
        campaign=campaign,
        subject="s",
        body_html="b",
        approved_subject="{nombre}, novedades",
        approved_body='<p>Hola {nombre}</p><p><a href="https://example.com/a">Leer</a></p>',
        approved_at=timezone.now(),
    )
    return campaign


def snapshot(campaign):
    from marketing.services.campaigns import schedule_campaign, start_campaign

    schedule_campaign(campaign=campaign)
    campaign.refresh_from_db()
    started = time.perf_counter()
    with counting_queries() as queries:
        start_campaign(campaign=campaign)
    campaign.refresh_from_db()
    return campaign.recipients.count(), queries.count, time.perf_counter() - started


def queue_batches(campaign, limit):
    """Queue about `limit` messages in batches; returns (messages, seconds)."""
    from marketing.services.campaigns import send_batch

    queued, started = 0, time.perf_counter()
    while queued < limit:
        with discarding_on_commit():
            sent = send_batch(campaign=campaign)
        if not sent:
            break
        queued += sent
    return queued, time.perf_counter() - started


def batch_peak_memory(campaign):
    """Peak Python allocations while queuing one batch (tracemalloc), in bytes."""
    from marketing.services.campaigns import send_batch

    tracemalloc.start()
    with discarding_on_commit():
        send_batch(campaign=campaign)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


WORKER = """
import os, sys
sys.path.insert(0, os.getcwd())
from bench.harness import setup_django
setup_django()
from django.db import connection
connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
from bench.webinars import discarding_on_commit
from marketing.models import Campaign
from marketing.services.campaigns import send_batch
campaign = Campaign.objects.get(pk=int(sys.argv[1]))
print("ready", flush=True)
while True:
    with discarding_on_commit():
        if not send_batch(campaign=campaign):
            break
"""


def killed_worker(campaign, kill_after):
    """Run batches in a separate process, SIGKILL it `kill_after` seconds after its first
    batch committed, finish the send here; returns (recipients, messages, duplicates,
    skipped, queued before the kill)."""
    from django.db import connection
    from django.db.models import Count

    from courseops.messaging.models import OutboundMessage
    from marketing.models import Recipient

    env = {**os.environ, "BENCH_DB_NAME": connection.settings_dict["NAME"]}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(campaign.pk)], env=env, stdout=subprocess.PIPE
    )
    worker.stdout.readline()  # set up and connected
    queued = Recipient.objects.filter(campaign=campaign, status="queued")
    while not queued.exists():  # the first batch committed...
        time.sleep(0.2)
    time.sleep(kill_after)  # ...and the next one half done
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    before = queued.count()
    queue_batches(campaign, 10**9)
    messages = OutboundMessage.objects.filter(
        idempotency_key__startswith=f"marketing.campaign.{campaign.pk}."
    )
    duplicates = messages.values("recipient").annotate(n=Count("pk")).filter(n__gt=1).count()
    recipients = Recipient.objects.filter(campaign=campaign)
    skipped = recipients.filter(message__isnull=True).count()
    return recipients.count(), messages.count(), duplicates, skipped, before


def main():
    setup_django()
    from django.conf import settings

    settings.MESSAGING_QUIET_HOURS = ""
    with bench_database() as connection:
        print(f"database: {connection.vendor}")
        populate(SMALL)
        members, queries, seconds = segment_figures()
        print(
            f"segment over {SMALL:,} contacts: {members:,} members, {queries} query, "
            f"{seconds * 1000:.0f} ms"
        )
        populate(CONTACTS - SMALL, start=SMALL)
        members, queries, seconds = segment_figures()
        print(
            f"segment over {CONTACTS:,} contacts: {members:,} members, {queries} query, "
            f"{seconds * 1000:.0f} ms"
        )

        campaign = make_campaign("bench")
        recipients, queries, seconds = snapshot(campaign)
        print(f"campaign snapshot: {recipients:,} recipients, {queries} queries, {seconds:.2f} s")
        first_peak = batch_peak_memory(campaign)
        queued, seconds = queue_batches(campaign, QUEUE_SAMPLE)
        print(
            f"queued {queued:,} messages in {seconds:.1f} s "
            f"({queued / seconds:.0f}/s, batches of {BATCH:,})"
        )
        later_peak = batch_peak_memory(campaign)
        print(
            f"peak Python memory of one batch: batch 1 {first_peak / 1e6:.1f} MB, "
            f"batch {queued // BATCH + 2} {later_peak / 1e6:.1f} MB"
        )

        # Contacts whose email starts with c1 (about 5,000), so the finish here stays short.
        killed_rules = {
            "conditions": [
                *RULES["conditions"],
                {"field": "email", "op": "starts_with", "value": "c1"},
            ]
        }
        killed = make_campaign("killed", batch_size=500, rules=killed_rules)
        snapshot(killed)
        total, messages, duplicates, skipped, before = killed_worker(killed, kill_after=4)
        print(
            f"worker killed mid-send after {before:,} queued, send finished here: "
            f"{total:,} recipients, {messages:,} messages, duplicates {duplicates}, "
            f"skipped {skipped}"
        )


if __name__ == "__main__":
    main()
