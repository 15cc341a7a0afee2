"""What adding worker processes buys: onboarding and outbox throughput with a real Celery
worker of 1, 2 and 4 processes (`--concurrency`) against PostgreSQL + Redis.

For each size, on a throw-away database (`bench.settings`, the worker told its name):
registrations are made first (their onboarding tasks wait in Redis), then the worker is
started and works through them; then rows are queued in the outbox, the sweeper's
batches handed to the broker, and the worker sends them to a no-op email backend (it
renders each email and discards it). Throughput is counted between the first and the
last row the workers touched (their own timestamps), so a worker's start-up is not in it.

The machine running it has 2 cores shared with PostgreSQL, Redis and this process: past
two processes, more workers can only overlap their waits on the database, not compute
more. Needs `DATABASE_URL` (PostgreSQL) and `REDIS_URL`.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import bench_database, setup_django

SIZES = [int(size) for size in os.environ.get("BENCH_SCALING_WORKERS", "1,2,4").split(",")]
STUDENTS = int(os.environ.get("BENCH_SCALING_STUDENTS", 300))
MESSAGES = int(os.environ.get("BENCH_SCALING_MESSAGES", 3000))
DEADLINE = float(os.environ.get("BENCH_SCALING_DEADLINE_SECONDS", 600))
QUEUES = "critical,default,bulk,bench"
ROOT = Path(__file__).resolve().parent.parent


def start_worker(processes, database_name):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_NAME": database_name,
        "EMAIL_BACKEND": "bench.outbox.RenderingNoopBackend",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "courseops",
        "worker",
        f"--concurrency={processes}",
        f"-Q{QUEUES}",
        f"--hostname=bench-scaling-{processes}@%h",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def stop_worker(worker):
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=120)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_until(done, what):
    deadline = time.monotonic() + DEADLINE
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not finished within {DEADLINE:.0f} s")
        time.sleep(0.5)


def register(count, offset):
    from decimal import Decimal

    from bench.onboarding import registration
    from students.intake.services import register_student
    from students.models import Plan

    Plan.objects.get_or_create(slug="premium", defaults={"name": "Premium", "price": Decimal(149)})
    for number in range(offset, offset + count):
        data = registration(number, "premium")
        register_student(data=data, source="api", external_id=f"s{number}")


def onboarding_rate(count):
    """Students whose whole pipeline finished, per second of the workers' own time."""
    from django.db.models import Count, Max, Min, Q

    from students.models import OnboardingStep

    Status = OnboardingStep.Status
    open_steps = Q(status__in=[Status.PENDING, Status.RUNNING])

    def finished():
        return not OnboardingStep.objects.filter(open_steps).exists()

    wait_until(finished, "onboarding")
    if not OnboardingStep.objects.exists():
        raise RuntimeError("no onboarding steps: the registrations were refused")
    span = OnboardingStep.objects.exclude(started_at=None).aggregate(
        first=Min("started_at"), last=Max("finished_at"), students=Count("student", distinct=True)
    )
    seconds = (span["last"] - span["first"]).total_seconds()
    return span["students"], seconds


def outbox_rate(count):
    from django.db.models import Max, Min

    from bench.outbox import _rows
    from courseops.messaging import services
    from courseops.messaging.models import OutboundMessage

    OutboundMessage.objects.all().delete()
    _rows(count)
    while services.dispatch_due_messages():  # hands every batch to the broker
        pass
    ours = OutboundMessage.objects.filter(idempotency_key__startswith="bench:")
    wait_until(lambda: ours.filter(status="sent").count() >= count, "outbox")
    span = ours.aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    return count, (span["last"] - span["first"]).total_seconds()


def main():
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    setup_django("bench.settings")
    from django.db import connection

    from courseops.celery import app
    from courseops.messaging.models import OutboundMessage
    from students.models import Student

    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        sys.exit("bench.scaling needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    logging.disable(logging.INFO)  # a line per registration and task would dominate
    with bench_database():
        name = connection.settings_dict["NAME"]
        app.control.purge()
        rows = []
        for size, processes in enumerate(SIZES):
            Student.objects.all().delete()
            register(STUDENTS, offset=size * STUDENTS)
            worker = start_worker(processes, name)
            try:
                students, onboarding_seconds = onboarding_rate(STUDENTS)
                print(
                    f"{processes} process(es): onboarding {students} students in "
                    f"{onboarding_seconds:.1f} s ({students / onboarding_seconds:.1f}/s)",
                    flush=True,
                )
                OutboundMessage.objects.all().delete()
                sent, outbox_seconds = outbox_rate(MESSAGES)
                print(
                    f"{processes} process(es): outbox {sent:,} messages in "
                    f"{outbox_seconds:.1f} s ({sent / outbox_seconds:,.0f}/s)",
                    flush=True,
                )
            finally:
                stop_worker(worker)
            rows.append((processes, students / onboarding_seconds, sent / outbox_seconds))
        base_onboarding, base_outbox = rows[0][1], rows[0][2]
        print("processes | onboarding students/s (x one) | outbox messages/s (x one)")
        for processes, onboarding, outbox in rows:
            print(
                f"{processes} | {onboarding:.1f} ({onboarding / base_onboarding:.2f}x) | "
                f"{outbox:,.0f} ({outbox / base_outbox:.2f}x)"
            )
        app.control.purge()


if __name__ == "__main__":
    main()
