"""Chaos: kill -9 the worker at random points, restart it, and count what the people
were sent (`python -m bench chaos`, or `python -m bench.chaos --small` for CI).

Each scenario runs on the embedded defaults (SQLite + filesystem broker, in a temporary
folder migrated once and copied per scenario) with a counting email backend that appends
one line per email actually handed to "the provider": its outbox id and the time. The
harness plays beat (runs the sweepers every few seconds) while it kills the worker's
whole process group with SIGKILL at random moments, at least three times, restarting it
each time, then lets it finish and counts expected, delivered, duplicated and late
(after the deadline) emails. Last line:
`chaos: <S> scenarios, <N> expected, <L> lost, <D> duplicated, <T> late`.
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

ROOT = Path(__file__).resolve().parents[1]


class CountingBackend(BaseEmailBackend):
    """One line per email sent: `<outbound id> <unix time>`, appended atomically."""

    def send_messages(self, email_messages):
        path = os.environ["CHAOS_SENT_LOG"]
        with open(path, "a") as log:
            for message in email_messages:
                outbound = (getattr(message, "metadata", None) or {}).get("outbound_id", "?")
                log.write(f"{outbound} {time.time():.3f}\n")
                log.flush()
        return len(email_messages)


SWEEP = """
import django; django.setup()
from courseops.messaging.tasks import sweep_outbox
from webinars.services import scan_due_reminders
scan_due_reminders()
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

# (name, setup script, which outbox rows are expected)
SCENARIOS = [
    ("webinar reminders (10-minute)", REMINDERS, "webinars.reminder.%"),
    ("transactional email burst", EMAIL_BURST, "chaos.%"),
]


def _env(var_dir, sent_log):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        COURSEOPS_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="courseops.settings",
        EMAIL_BACKEND="bench.chaos.CountingBackend",
        CHAOS_SENT_LOG=str(sent_log),
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


def _expected(db, pattern):
    with sqlite3.connect(db, timeout=30) as conn:
        return {
            str(pk)
            for (pk,) in conn.execute(
                "SELECT id FROM messaging_outboundmessage WHERE idempotency_key LIKE ?",
                (pattern,),
            )
        }


def _sent(sent_log):
    if not sent_log.exists():
        return []
    return [line.split() for line in sent_log.read_text().splitlines() if line.strip()]


def run_scenario(name, setup, pattern, *, template, workdir, size, kills, rng):
    var_dir = workdir / name.split()[0]
    shutil.copytree(template, var_dir)
    sent_log = var_dir / "sent.log"
    env = _env(var_dir, sent_log)
    deadline = float(_python(env, setup.format(n=size)).split()[-1])
    log = open(var_dir / "worker.log", "w")  # noqa: SIM115 (closed below)
    worker = _worker(env, log)
    try:
        _python(env, SWEEP)
        for _kill in range(kills):
            time.sleep(rng.uniform(0.5, 3.0))  # a random point of the work
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            worker = _worker(env, log)
            _python(env, SWEEP)  # beat's minute: scans and sweepers take over
        expected = _expected(var_dir / "db.sqlite3", pattern)
        finish_by = time.monotonic() + 300
        while time.monotonic() < finish_by:
            delivered = {outbound for outbound, _t in _sent(sent_log)}
            expected = _expected(var_dir / "db.sqlite3", pattern)
            if expected and expected <= delivered:
                break
            _python(env, SWEEP)
            time.sleep(2)
    finally:
        _stop(worker)
        log.close()
    sent = _sent(sent_log)
    per_id = {}
    for outbound, when in sent:
        per_id.setdefault(outbound, []).append(float(when))
    expected_n = size
    delivered = {outbound for outbound in per_id if outbound in expected}
    lost = expected_n - len(delivered)
    duplicated = sum(len(times) - 1 for outbound, times in per_id.items() if outbound in expected)
    late = sum(1 for outbound in delivered if min(per_id[outbound]) > deadline)
    print(
        f"  {name}: {expected_n} expected, {len(delivered)} delivered, {lost} lost, "
        f"{duplicated} duplicated, {late} late ({kills} kills)",
        flush=True,
    )
    return expected_n, lost, duplicated, late


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    small = "--small" in argv
    size, kills = (60, 3) if small else (300, 4)
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "17")))
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    try:
        template = workdir / "template"
        template.mkdir()
        started = time.monotonic()
        _python(_env(template, template / "unused"), ["manage.py", "migrate", "--noinput"])
        print(f"  migrated the template database in {time.monotonic() - started:.0f} s")
        for folder in ("broker", "cache"):
            shutil.rmtree(template / folder, ignore_errors=True)
        totals = [0, 0, 0, 0]
        for name, setup, pattern in SCENARIOS:
            figures = run_scenario(
                name, setup, pattern, template=template, workdir=workdir, size=size,
                kills=kills, rng=rng,
            )  # fmt: skip
            totals = [a + b for a, b in zip(totals, figures, strict=True)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    n, lost, duplicated, late = totals
    print(
        f"chaos: {len(SCENARIOS)} scenarios, {n} expected, {lost} lost, "
        f"{duplicated} duplicated, {late} late"
    )


if __name__ == "__main__":
    main()
