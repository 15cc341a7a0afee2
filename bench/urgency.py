"""Urgency under load (`python -m bench urgency`): portal sign-in links asked for while a
20,000-recipient campaign is being sent, with the default worker layout (Procfile.dev's
workers: their queues and concurrency).

Real processes: the Celery worker(s) started as Procfile.dev starts them, a "beat" that asks
for `marketing.run_campaigns` every minute as the real one does (the campaign queues a
batch of `BENCH_URGENCY_BATCH` a minute, its `batch_size`), and a process that asks for
sign-in links one a second through `request_sign_in_link` (what the portal's form calls)
and notes when. A counting email backend (bench.chaos.CountingBackend) notes when each
email reaches "the provider"; a link's latency is from its request to that moment. The
same run measures links with the workers idle first (the baseline), then during the
campaign. `BENCH_KEEP=1` keeps the folder (workers' log, `links.log`, `sent.log`).

On PostgreSQL (a throw-away `<DATABASE_URL's name>_urgency` database) with a private
redis-server when `DATABASE_URL` is set, on the embedded defaults otherwise. Sizes:
`BENCH_URGENCY_RECIPIENTS` (20,000), `BENCH_URGENCY_LINKS` (60 under load, a third of it
idle), `BENCH_URGENCY_BATCH` (the campaign's batch per run, 1,000),
`BENCH_URGENCY_BEAT_EVERY` (60 s); `BENCH_URGENCY_PROCFILE` another layout to compare.
"""

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.chaos import ROOT, PrivateRedis, _env, _fresh_postgres, _python, _sent, _stop

RECIPIENTS = int(os.environ.get("BENCH_URGENCY_RECIPIENTS", "20000"))
LINKS = int(os.environ.get("BENCH_URGENCY_LINKS", "60"))
BATCH = int(os.environ.get("BENCH_URGENCY_BATCH", "1000"))
# Another layout to compare with (a Procfile with other worker lines).
PROCFILE = os.environ.get("BENCH_URGENCY_PROCFILE", "Procfile.dev")
# Seconds between run_campaigns, as beat runs it (marketing/periodic.py): a batch a minute.
WARM_UP = 4  # links, not counted
BEAT_EVERY = int(os.environ.get("BENCH_URGENCY_BEAT_EVERY", "60"))

SETUP = """
import django; django.setup()
from decimal import Decimal
from django.utils import timezone
from marketing.models import Campaign, Consent, Lead, Segment, Variant
from students.models import Plan, Student
now = timezone.now()
leads = Lead.objects.bulk_create([
    Lead(email=f"c{{n}}@example.com", name=f"Persona{{n}}", stage="lead", country="MX",
         time_zone="America/Mexico_City", first_source="csv", last_source="csv")
    for n in range({recipients})
], batch_size=2000)
Consent.objects.bulk_create([
    Consent(lead=lead, purpose="newsletter_email", status="granted", source="csv",
            text="Boletín", requested_at=now)
    for lead in leads
], batch_size=2000)
segment = Segment.objects.create(name="urgency", rules={{"match": "all", "conditions": [
    {{"field": "consent", "op": "valid", "value": "newsletter_email"}}]}})
campaign = Campaign.objects.create(name="urgency", batch_size={batch}, test_share=0)
campaign.segments.add(segment)
Variant.objects.create(campaign=campaign, subject="s", body_html="b",
    approved_subject="{{nombre}}, novedades",
    approved_body='<p>Hola {{nombre}}</p><p><a href="https://example.com/a">Leer</a></p>',
    approved_at=now)
plan = Plan.objects.create(slug="basico", name="Básico", price=Decimal("49"), currency="USD")
Student.objects.bulk_create([
    Student(full_name=f"Alumna {{n}}", email=f"s{{n}}@example.com", plan=plan,
            source=Student.Source.API, time_zone="America/Mexico_City", country="MX",
            status=Student.Status.ACTIVE)
    for n in range({students})
])
print(campaign.pk)
"""

START_CAMPAIGN = """
import django; django.setup()
from marketing.models import Campaign
from marketing.services.campaigns import schedule_campaign
schedule_campaign(campaign=Campaign.objects.get(pk={campaign}))
"""

BEAT = f"""
import django; django.setup()
import time
from marketing.tasks import run_campaigns
while True:
    run_campaigns.delay()
    time.sleep({BEAT_EVERY})
"""

# One link a second, each for a different student; prints `<email> <asked at>` per link.
# The first (s{first}) only warms this process up (its first call is seconds slower than
# the rest: connections, templates), as a web process serving the portal is warm.
LINKS_SCRIPT = """
import django; django.setup()
import time
from students.portal.services import request_sign_in_link
request_sign_in_link(email="s{first}@example.com")
time.sleep(1)
for n in range({first} + 1, {first} + 1 + {count}):
    email = f"s{{n}}@example.com"
    asked = time.time()
    if request_sign_in_link(email=email) is None:
        raise SystemExit(f"no link queued for {{email}}")
    print(email, f"{{asked:.3f}}", flush=True)
    time.sleep(max(0.0, asked + 1 - time.time()))
"""


def _worker_lines():
    """The Procfile's worker lines (`worker...:`), each from `worker` on (queues, concurrency)."""
    lines = []
    for line in (ROOT / PROCFILE).read_text().splitlines():
        if line.startswith("worker"):
            words = line.split(":", 1)[1].split()
            lines.append(words[words.index("worker") :])
    if not lines:
        raise RuntimeError(f"{PROCFILE} has no worker line")
    return lines


def _links(env, sent_log, *, first, count):
    asked = {}
    for line in _python(env, LINKS_SCRIPT.format(first=first, count=count)).splitlines():
        email, at = line.split()
        asked[email] = float(at)
    waited = time.monotonic() + 300
    while True:
        delivered = {}
        for _outbound, to, at in _sent(sent_log):
            if to in asked:
                delivered.setdefault(to, float(at))
        if len(delivered) == len(asked) or time.monotonic() > waited:
            break
        time.sleep(0.5)
    with open(sent_log.with_name("links.log"), "a") as log:  # `<email> <asked> <latency>`
        for email in delivered:
            log.write(f"{email} {asked[email]:.3f} {delivered[email] - asked[email]:.3f}\n")
    latencies = sorted(delivered[email] - asked[email] for email in delivered)
    return latencies, len(asked) - len(delivered)


def _pct(latencies, q):
    """Nearest rank: with fewer than 100 links, p99 is the slowest."""
    return latencies[max(0, math.ceil(q * len(latencies)) - 1)]


def _figures(label, latencies, missing):
    print(
        f"  {label}: {len(latencies)} links, p50 {statistics.median(latencies):.2f} s, "
        f"p90 {_pct(latencies, 0.9):.2f} s, p99 {_pct(latencies, 0.99):.2f} s, "
        f"max {latencies[-1]:.2f} s" + (f", {missing} NOT DELIVERED" if missing else ""),
        flush=True,
    )


def _campaign_sent(sent_log):
    return sum(1 for _outbound, to, _at in _sent(sent_log) if to.startswith("c"))


def main():
    workdir = Path(tempfile.mkdtemp(prefix="urgency-"))
    sent_log = workdir / "sent.log"
    redis = None
    processes = []
    log = open(workdir / "worker.log", "w")  # noqa: SIM115 (closed below)
    try:
        url = os.environ.get("DATABASE_URL")
        if url and url.startswith("postgres"):
            redis = PrivateRedis(workdir)
            redis.start()
            url = f"{url}_urgency"
            env = _env(workdir, sent_log, database_url=url, redis_url=redis.url)
            _fresh_postgres(url, env)
            where = "PostgreSQL + Redis"
        else:
            env = _env(workdir, sent_log)
            _python(env, ["manage.py", "migrate", "--noinput"])
            where = "embedded (SQLite + filesystem broker)"
        idle_links = max(1, LINKS // 3)
        started = time.monotonic()
        students = WARM_UP + idle_links + LINKS + 3  # and one warm-up per link process
        setup = SETUP.format(recipients=RECIPIENTS, batch=BATCH, students=students)
        campaign = _python(env, setup).split()[-1]
        print(
            f"  {where}; workers: {' + '.join(' '.join(w) for w in _worker_lines())}; "
            f"{RECIPIENTS:,} recipients "
            f"(batches of {BATCH:,} every {BEAT_EVERY} s) set up in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        for args in _worker_lines():
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "courseops", *args],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        waited = time.monotonic() + 300
        while (workdir / "worker.log").read_text().count(" ready.") < len(processes):
            if time.monotonic() > waited:
                raise RuntimeError("the worker did not start")
            time.sleep(0.5)
        # Warm-up: each pool process's first task is slow (imports, templates, connections).
        _links(env, sent_log, first=0, count=WARM_UP)

        latencies, missing = _links(env, sent_log, first=WARM_UP + 1, count=idle_links)
        _figures("idle worker (baseline)", latencies, missing)
        idle_p99 = _pct(latencies, 0.99)

        _python(env, START_CAMPAIGN.format(campaign=campaign))
        beat = subprocess.Popen(
            [sys.executable, "-c", BEAT], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        processes.append(beat)
        waited = time.monotonic() + 600
        while _campaign_sent(sent_log) == 0 and time.monotonic() < waited:
            time.sleep(1)
        before = _campaign_sent(sent_log)
        window = time.monotonic()
        latencies, missing = _links(env, sent_log, first=WARM_UP + idle_links + 2, count=LINKS)
        window = time.monotonic() - window
        during = _campaign_sent(sent_log) - before
        _figures("during the campaign", latencies, missing)
        p99 = _pct(latencies, 0.99)
        print(
            f"  campaign emails sent meanwhile: {during:,} in {window:.0f} s "
            f"({during / window:.0f}/s), {_campaign_sent(sent_log):,} of {RECIPIENTS:,} so far; "
            f"p99 during / idle: {p99 / idle_p99:.1f}x",
            flush=True,
        )
        print(f"urgency: p99 {p99:.2f} s ({'under' if p99 < 5 else 'OVER'} the 5 s goal)")
        return 0 if p99 < 5 and not missing else 1
    finally:
        for process in processes:
            _stop(process)
        log.close()
        if redis:
            redis.kill()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
