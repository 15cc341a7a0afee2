"""Chaos: kill -9 the worker at random points, restart it, and count what the people
were sent (`python -m bench chaos`, or `python -m bench.chaos --small` for CI).

Each scenario runs on the embedded defaults (SQLite + filesystem broker, in a temporary
folder migrated once and copied per scenario) with a counting email backend that appends
one line per email actually handed to "the provider": its outbox id and the time. The
harness plays beat (runs the sweepers every few seconds) while it kills the worker's
whole process group with SIGKILL at random moments, at least three times, restarting it
each time, then lets it finish and counts expected, delivered, duplicated and late
(after the deadline) emails. One scenario runs on PostgreSQL + Redis instead (a private
redis-server on a free port, keeping nothing on disk, as ours in production may lose its
queues) and kills Redis itself at each point (and the worker too at every other one),
restarting Redis after a few seconds: the queued tasks are gone and the rows must carry
the work. Last line:
`chaos: <S> scenarios, <N> expected, <L> lost, <D> duplicated, <T> late`.
"""

import atexit
import os
import random
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

ROOT = Path(__file__).resolve().parents[1]
KILL_WAIT = 30  # seconds
REDIS_DOWN = 5  # seconds Redis stays dead at each of its kills
# How long the work may take to finish after the last kill (lateness is judged by each
# scenario's own deadline): a 300-person campaign is 9 batches, one per beat run.
FINISH_WAIT = 600  # seconds
# The Redis scenario's database (dropped and created per run).
CHAOS_DATABASE_URL = os.environ.get(
    "CHAOS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/courseops_chaos"
)


class CountingBackend(BaseEmailBackend):
    """One line per email sent: `<outbound id> <recipient> <unix time>`, appended atomically."""

    def send_messages(self, email_messages):
        path = os.environ["CHAOS_SENT_LOG"]
        outage = Path(path).with_name("outage_until")  # the provider-outage scenario's
        if outage.exists() and time.time() < float(outage.read_text()):
            raise smtplib.SMTPResponseException(421, b"Service not available, try later")
        with open(path, "a") as log:
            for message in email_messages:
                outbound = (getattr(message, "metadata", None) or {}).get("outbound_id", "?")
                to = ",".join(message.to) or "?"
                log.write(f"{outbound} {to} {time.time():.3f}\n")
                log.flush()
        return len(email_messages)

    def find_sent(self, *, outbound_id, recipient, since):
        """The harness's provider answers from its log (courseops.messaging.providers.
        lookup); it is written before the send returns, so "not found" holds at once."""
        from courseops.messaging.providers import Lookup

        path = Path(os.environ["CHAOS_SENT_LOG"])
        lines = path.read_text().splitlines() if path.exists() else []
        for line in lines:
            fields = line.split()
            ours = len(fields) == 3 and fields[:2] == [str(outbound_id), recipient]
            if ours and float(fields[2]) >= since.timestamp():
                return Lookup.found("chaos")
        return Lookup.not_found("chaos")


SWEEP = """
import django; django.setup()
from courseops.messaging.tasks import sweep_outbox
from courseops.reviews.services import requeue_stale_drafts
from content.services.pipeline import sweep_jobs
from content.tasks import announce_lessons
from marketing.tasks import run_campaigns
from students.onboarding.pipeline import sweep_onboarding
from webinars.services import scan_due_reminders
scan_due_reminders()
sweep_onboarding()
requeue_stale_drafts()
run_campaigns.delay()  # on the worker, where the kills fall
sweep_jobs()
announce_lessons.delay()
sweep_outbox.apply()
"""

REMINDERS = """
import django; django.setup()
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from webinars.models import Registration
from webinars.services import registration_create, webinar_create, webinar_schedule
now = timezone.now()
with transaction.atomic():
    webinar = webinar_create(title="IA", description="x", starts_at=now + timedelta(minutes=9),
                             time_zone="America/Mexico_City", is_public=True, plans=())
    webinar = webinar_schedule(webinar=webinar)
    for n in range({n}):
        registration_create(webinar=webinar, email=f"p{{n}}@example.com",
                            source=Registration.Source.API)
    Registration.objects.update(created_at=now - timedelta(days=1))
print(int(webinar.starts_at.timestamp()))
"""

EMAIL_BURST = """
import django; django.setup()
import time
from django.db import transaction
from courseops.messaging.services import queue_email
with transaction.atomic():
    for n in range({n}):
        queue_email(to=f"s{{n}}@example.com", idempotency_key=f"chaos.{{n}}",
                    subject="Tu enlace de acceso", text="Entra aquí")
print(int(time.time()) + 3600)
"""

ONBOARDING = """
import django; django.setup()
import time
from datetime import timedelta
from decimal import Decimal
from django.db import transaction
from django.utils import timezone
from courseops.reviews.models import PolicyMode, ReviewPolicy
from students.intake.services import register_student
from students.models import Plan, Student
ReviewPolicy.objects.update_or_create(kind="welcome_email", defaults={{"mode": PolicyMode.AUTO}})
Plan.objects.create(slug="basico", name="Básico", price=Decimal("49"), currency="USD")
for n in range({n}):
    register_student(data={{"email": f"a{{n}}@example.com", "full_name": f"Alumna {{n}}",
                            "plan": "basico", "consent": True}}, source="api",
                     external_id=f"chaos-{{n}}")
# Registered a while ago: beat's sweeper may take over any pipeline a lost task left.
Student.objects.update(created_at=timezone.now() - timedelta(minutes=5))
print(int(time.time()) + 3600)
"""

CAMPAIGN = """
import django; django.setup()
import time
from django.utils import timezone
from marketing.models import Campaign, Consent, Lead, Segment, Variant
from marketing.services.campaigns import schedule_campaign
now = timezone.now()
# People for whom it is about noon now: a newsletter waits out the person's quiet hours
# (at 22:00 in Mexico City it would be sent at 09:00, long after the harness gave up).
offset = (12 - now.hour + 12) % 24 - 12  # hours east of UTC, -12..11
zone = "Etc/GMT" + (f"{{-offset:+d}}" if offset else "")  # Etc/ names flip the sign
leads = Lead.objects.bulk_create([
    Lead(email=f"c{{n}}@example.com", name=f"Persona{{n}}", stage="lead", country="MX",
         time_zone=zone, first_source="csv", last_source="csv")
    for n in range({n})
])
Consent.objects.bulk_create([
    Consent(lead=lead, purpose="newsletter_email", status="granted", source="csv",
            text="Boletín", requested_at=now)
    for lead in leads
])
segment = Segment.objects.create(name="chaos", rules={{"match": "all", "conditions": [
    {{"field": "consent", "op": "valid", "value": "newsletter_email"}}]}})
# Small batches (about 9 a send, one per run_campaigns), so that the kills fall between
# and inside them.
campaign = Campaign.objects.create(name="chaos", batch_size=max(7, {n} // 8), test_share=0)
campaign.segments.add(segment)
Variant.objects.create(campaign=campaign, subject="s", body_html="b",
    approved_subject="{{nombre}}, novedades",
    approved_body='<p>Hola {{nombre}}</p><p><a href="https://example.com/a">Leer</a></p>',
    approved_at=now)
schedule_campaign(campaign=campaign)
print(int(time.time()) + 3600)
"""

# The provider answers 421 for the first 40 s of the scenario (the kills fall inside),
# then recovers: the retries (1, 2, 4 minutes) and the sweeper must deliver each one once.
PROVIDER_OUTAGE = """
import django; django.setup()
import os, time
from pathlib import Path
from django.db import transaction
from courseops.messaging.services import queue_email
Path(os.environ["COURSEOPS_VAR_DIR"], "outage_until").write_text(str(time.time() + 40))
with transaction.atomic():
    for n in range({n}):
        queue_email(to=f"o{{n}}@example.com", idempotency_key=f"outage.{{n}}",
                    subject="Tu recibo", text="Gracias por tu pago")
print(int(time.time()) + 3600)
"""

# A 10-minute lesson from its VTT (offline AI, its reviews automatic) through the content
# pipeline to its digest: one email per student of the course.
CONTENT = """
import django; django.setup()
import time
from datetime import timedelta
from decimal import Decimal
from django.core.files.base import ContentFile
from django.utils import timezone
from bench.content import prepared_vtt
from content.services import pipeline
from content.models import ContentJob, Course, Lesson
from courseops.reviews.models import PolicyMode, ReviewPolicy
from students.models import Plan, Student
for kind in ("lesson_summary", "lesson_quiz"):
    ReviewPolicy.objects.update_or_create(kind=kind, defaults={{"mode": PolicyMode.AUTO}})
plan = Plan.objects.create(slug="basico", name="Básico", price=Decimal("49"), currency="USD")
course = Course.objects.create(title="IA", slug="ia")
course.plans.add(plan)
Student.objects.bulk_create([
    Student(full_name=f"Alumna {{n}}", email=f"l{{n}}@example.com", plan=plan,
            source=Student.Source.API, time_zone="America/Mexico_City", country="MX",
            status=Student.Status.ACTIVE)
    for n in range({n})
])
lesson = Lesson(course=course, order=1, title="Clase")
lesson.subtitles.save("clase.vtt", ContentFile(prepared_vtt(10).encode()), save=False)
lesson.save()
pipeline.start_job(lesson=lesson)
# Started a while ago: beat's sweeper may take over a job a lost task left.
ContentJob.objects.update(created_at=timezone.now() - timedelta(minutes=10))
print(int(time.time()) + 3600)
"""

# (name, setup script, which outbox rows are expected, what is killed)
SCENARIOS = [
    ("webinar reminders (10-minute)", REMINDERS, "webinars.reminder.%", "worker"),
    ("transactional email burst", EMAIL_BURST, "chaos.%", "worker"),
    ("onboarding burst (welcome emails)", ONBOARDING, "reviews.draft.%", "worker"),
    ("campaign send", CAMPAIGN, "marketing.campaign.%", "worker"),
    ("provider outage (email)", PROVIDER_OUTAGE, "outage.%", "worker"),
    ("content job (lesson digest)", CONTENT, "content.lessons_published.%", "worker"),
    ("redis killed (onboarding burst, PostgreSQL + Redis)", ONBOARDING, "reviews.draft.%",
     "redis"),
]  # fmt: skip
# What `--small` (the CI pass) runs, by first word.
SMALL = {"webinar", "transactional", "onboarding", "content"}


def _env(var_dir, sent_log, *, database_url=None, redis_url=None):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    if database_url:
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
    env.update(
        COURSEOPS_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="courseops.settings",
        EMAIL_BACKEND="bench.chaos.CountingBackend",
        CHAOS_SENT_LOG=str(sent_log),
        CONTENT_DIGEST_MINUTES="0",  # a lesson's digest goes out at the next sweep
    )
    return env


def _python(env, code_or_args, timeout=600):
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"{args[:2]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _worker(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courseops", "worker", "--concurrency=2"]
        + ["--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _stop(worker):
    """Warm shutdown, then the whole process group for good."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    except ProcessLookupError:
        pass


def _expected(env, pattern):
    sql = "SELECT id FROM messaging_outboundmessage WHERE idempotency_key LIKE %s"
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return {str(pk) for (pk,) in conn.execute(sql, (pattern,))}
    db = Path(env["COURSEOPS_VAR_DIR"]) / "db.sqlite3"
    with sqlite3.connect(db, timeout=30) as conn:
        return {str(pk) for (pk,) in conn.execute(sql.replace("%s", "?"), (pattern,))}


class PrivateRedis:
    """A redis-server of the harness's own on a free port, keeping nothing on disk; kill()
    is a SIGKILL, start() brings it back empty on the same port."""

    def __init__(self, workdir):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        atexit.register(self.kill)  # also when a setup step fails before the kills

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _fresh_postgres(url, template_env):
    """Drop and create the scenario's PostgreSQL database, migrated."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    # Minutes on a loaded machine (12 at a load average of 25).
    _python(template_env, ["manage.py", "migrate", "--noinput"], timeout=1800)
    print(f"  migrated {name} in {time.monotonic() - started:.0f} s", flush=True)


class Beat:
    """Plays beat beside the kills: a sweep runs in its own process while the harness
    watches for the next kill point (a sweep takes seconds on a loaded machine, long
    enough for a fast worker to finish everything if the harness waited for it, and the
    kills would then all fall after the work). One sweep at a time, like beat's lock."""

    def __init__(self, env):
        self.env = env
        self.process = None

    def tick(self):
        if self.process and self.process.poll() is None:
            return  # the last sweep is still running: this minute is skipped
        self.wait()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SWEEP], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait(self):
        if self.process is None:
            return
        _, stderr = self.process.communicate(timeout=600)
        if self.process.returncode:
            raise RuntimeError(f"a sweep failed:\n{stderr[-3000:]}")
        self.process = None


def _sent(sent_log):
    if not sent_log.exists():
        return []
    return [line.split() for line in sent_log.read_text().splitlines() if line.strip()]


def _done(env, pattern, sent_log):
    """The scenario's emails sent so far (other emails, e.g. confirmations, left out)."""
    expected = _expected(env, pattern)
    return sum(1 for outbound, _to, _t in _sent(sent_log) if outbound in expected)


def run_scenario(name, setup, pattern, killed, *, template, workdir, size, kills, rng):
    var_dir = workdir / name.split()[0]
    shutil.copytree(template, var_dir)
    sent_log = var_dir / "sent.log"
    redis = None
    if killed == "redis":
        (var_dir / "db.sqlite3").unlink(missing_ok=True)  # its database is PostgreSQL
        redis = PrivateRedis(var_dir)
        redis.start()
        env = _env(var_dir, sent_log, database_url=CHAOS_DATABASE_URL, redis_url=redis.url)
        _fresh_postgres(CHAOS_DATABASE_URL, env)
    else:
        env = _env(var_dir, sent_log)
    deadline = float(_python(env, setup.format(n=size)).split()[-1])
    log = open(var_dir / "worker.log", "w")  # noqa: SIM115 (closed below)
    worker = _worker(env, log)
    beat = Beat(env)
    try:
        beat.tick()
        at = []  # emails sent when each kill fell: proof that it fell inside the work
        # Random points of the work: after a random number of its emails (or, if they do not
        # come, e.g. during the provider outage, after at most KILL_WAIT seconds).
        for target in sorted(rng.sample(range(size), kills)):
            waited = time.monotonic() + KILL_WAIT
            while _done(env, pattern, sent_log) < target and time.monotonic() < waited:
                time.sleep(0.25)
            time.sleep(rng.uniform(0, 0.5))
            at.append(_done(env, pattern, sent_log))
            if redis:  # Redis dies with its queues; the worker too at every other kill
                redis.kill()
                if len(at) % 2 == 0:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
                    worker = _worker(env, log)  # starts while Redis is still down
                time.sleep(REDIS_DOWN)
                redis.start()
            else:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                worker = _worker(env, log)
            beat.tick()  # beat's minute: scans and sweepers take over
        beat.wait()
        finish_by = time.monotonic() + FINISH_WAIT
        while time.monotonic() < finish_by:
            expected = _expected(env, pattern)
            delivered = {outbound for outbound, _to, _t in _sent(sent_log)}
            if len(expected) >= size and expected <= delivered:
                break
            _python(env, SWEEP)
            time.sleep(2)
    finally:
        beat.wait()
        _stop(worker)
        log.close()
        if redis:
            redis.kill()
    # Counted per person: one email each, whichever outbox row (or rows) carried it.
    per_person = {}
    for outbound, to, when in _sent(sent_log):
        if outbound in expected:
            per_person.setdefault(to, []).append(float(when))
    expected_n = size
    lost = expected_n - len(per_person)
    duplicated = sum(len(times) - 1 for times in per_person.values())
    late = sum(1 for times in per_person.values() if min(times) > deadline)
    delivered = per_person
    inside = sum(1 for sent in at if sent < expected_n)
    print(
        f"  {name}: {expected_n} expected, {len(delivered)} delivered, {lost} lost, "
        f"{duplicated} duplicated, {late} late ({kills} kills, after {'/'.join(map(str, at))} "
        f"emails: {inside} before the last one)",
        flush=True,
    )
    return expected_n, lost, duplicated, late


def _template(workdir):
    """The migrated database every scenario starts from; CHAOS_TEMPLATE keeps (and reuses)
    it in that folder between runs (the migrate is most of a small run; a kept one is
    migrated again, which applies only migrations added since)."""
    kept = os.environ.get("CHAOS_TEMPLATE")
    template = Path(kept) if kept else workdir / "template"
    template.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    _python(
        _env(template, template / "unused"), ["manage.py", "migrate", "--noinput"], timeout=1800
    )
    print(f"  migrated the template database in {time.monotonic() - started:.0f} s")
    for folder in ("broker", "cache"):
        shutil.rmtree(template / folder, ignore_errors=True)
    return template


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    # Stopped from outside (CI stops it when a suite fails): the cleanups below still run,
    # so no worker or redis-server of the harness outlives it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    small = "--small" in argv
    # CHAOS_ONLY=webinar,onboarding runs those scenarios (by their first word) only.
    only = {w for w in os.environ.get("CHAOS_ONLY", "").split(",") if w}
    size, kills = (60, 3) if small else (300, 4)
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "17")))
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    try:
        template = _template(workdir)
        chosen = [s for s in SCENARIOS if not only or s[0].split()[0] in only]
        if small and not only:
            chosen = [s for s in SCENARIOS if s[0].split()[0] in SMALL]
        totals = [0, 0, 0, 0]
        for name, setup, pattern, killed in chosen:
            figures = run_scenario(
                name, setup, pattern, killed, template=template, workdir=workdir, size=size,
                kills=kills, rng=rng,
            )  # fmt: skip
            totals = [a + b for a, b in zip(totals, figures, strict=True)]
    finally:
        if not os.environ.get("CHAOS_KEEP"):  # else kept to read the workers' logs
            shutil.rmtree(workdir, ignore_errors=True)
    n, lost, duplicated, late = totals
    print(
        f"chaos: {len(chosen)} scenarios, {n} expected, {lost} lost, "
        f"{duplicated} duplicated, {late} late"
    )
    return 1 if lost or duplicated or late else 0  # CI fails on any


if __name__ == "__main__":
    sys.exit(main())
