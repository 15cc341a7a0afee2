"""A worker killed (kill -9, its whole process group) while delivering the 10-minute
reminder: the next scan takes the deliveries over at once and every registrant gets the
reminder before the webinar starts, exactly once (real worker, embedded defaults)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, embedded_env, run

pytestmark = pytest.mark.processes
REGISTRANTS = 300

SETUP = f"""
import django; django.setup()
from datetime import timedelta
from django.utils import timezone
from webinars.models import Registration
from webinars.services import registration_create, webinar_create, webinar_schedule
from django.db import transaction
now = timezone.now()
with transaction.atomic():
    webinar = webinar_create(title="IA", description="x", starts_at=now + timedelta(minutes=9),
                             time_zone="America/Mexico_City", is_public=True, plans=())
    webinar = webinar_schedule(webinar=webinar)
    for n in range({REGISTRANTS}):
        registration_create(webinar=webinar, email=f"p{{n}}@example.com",
                            source=Registration.Source.API)
    # Registered yesterday: the 10-minute reminder (due a minute ago) is theirs.
    Registration.objects.update(created_at=now - timedelta(days=1))
# ... and yesterday's tasks (their confirmations, the AI drafts) ran yesterday: 600 of
# them in the queue would hold the reminder's chunks back a minute on the embedded broker.
from courseops.celery import app
app.control.purge()
"""
SCAN = """
import django; django.setup()
from webinars.services import scan_due_reminders
print(scan_due_reminders())
"""
# The scan beat runs once the claim lease of the chunks whose task died unstarted is over:
# the test does not wait that minute out on the real clock.
SCAN_AFTER_THE_LEASE = """
import django; django.setup()
from django.utils import timezone
from webinars.services import scan_due_reminders
from webinars.services.reminders import CLAIM_LEASE
print(scan_due_reminders(now=timezone.now() + CLAIM_LEASE))
"""


def _counts(db):
    with sqlite3.connect(db, timeout=20) as conn:
        rows = conn.execute(
            "SELECT status, COUNT(*), SUM(takeovers) FROM webinars_reminderdelivery GROUP BY 1"
        ).fetchall()
        emails = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT object_id) FROM messaging_outboundmessage "
            "WHERE idempotency_key LIKE 'webinars.reminder.%'"
        ).fetchone()
    return {status: (count, takeovers) for status, count, takeovers in rows}, emails


def _worker(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courseops", "worker", "--concurrency=1"]
        + ["--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed whole like the issue's
    )


def test_a_10_minute_reminder_survives_its_worker_killed_mid_delivery(migrated_var_dir, tmp_path):
    env = embedded_env(tmp_path)
    db = tmp_path / "db.sqlite3"
    run(env, "-c", SETUP)
    assert run(env, "-c", SCAN).stdout.split()[-1] == str(REGISTRANTS)  # chunks enqueued

    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    worker = _worker(env, log)
    try:
        deadline = time.monotonic() + 300
        while True:
            counts, _ = _counts(db)
            if counts.get("queued", (0, 0))[0] > 0:
                break
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        counts, _ = _counts(db)
        assert counts.get("claimed", (0, 0))[0] > 0, f"the kill came too late: {counts}"

        # The next scans (beat runs one every minute) take over what the dead worker held
        # at once, and hand out again the chunks whose task died unstarted with it (the
        # embedded broker loses the messages a killed worker had fetched) after
        # CLAIM_LEASE, long before the webinar starts; a restarted worker delivers them.
        run(env, "-c", SCAN_AFTER_THE_LEASE)
        worker = _worker(env, log)
        deadline = time.monotonic() + 300
        next_scan = time.monotonic() + 20
        while True:
            if time.monotonic() >= next_scan:
                run(env, "-c", SCAN)
                next_scan = time.monotonic() + 20
            counts, emails = _counts(db)
            if counts.get("queued", (0, 0))[0] == REGISTRANTS:
                break
            assert time.monotonic() < deadline, counts
            time.sleep(0.5)
    finally:
        try:
            # Killed, not asked to stop: a warm shutdown can outlast a loaded machine.
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=60)
        except ProcessLookupError:
            pass
        log.close()

    assert set(counts) == {"queued"}
    assert counts["queued"][1] > 0  # taken over, and counted
    assert emails == (REGISTRANTS, REGISTRANTS)  # one reminder each, nobody twice
