"""Periodic tasks are always there: `migrate` installs them and a running beat picks up a
schedule change without a restart (real beat process, embedded defaults)."""

import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, embedded_env, run

pytestmark = pytest.mark.processes

WIPE_SCHEDULE = """
import django; django.setup()
from django_celery_beat.models import PeriodicTask, PeriodicTasks
PeriodicTask.objects.all().delete()
PeriodicTasks.objects.all().delete()
"""
COUNT_DECLARED = """
import django; django.setup()
from django_celery_beat.models import PeriodicTask
from courseops.core.schedules import declared
names = set(PeriodicTask.objects.values_list("name", flat=True))
print(len(declared()), len(set(declared()) - names))
"""


def test_migrate_installs_the_periodic_tasks_and_a_running_beat_picks_up_an_install(
    migrated_var_dir, tmp_path
):
    # A database migrated before installing on migrate existed, with no schedule: the
    # upgrade's `migrate` (no migration left to apply) installs it. A migrate from empty
    # made the run's template (tests/processes.py) the same way.
    env = embedded_env(tmp_path)
    run(env, "-c", WIPE_SCHEDULE)
    assert run(env, "-c", COUNT_DECLARED).stdout.split()[1] != "0"
    run(env, "manage.py", "migrate", "--noinput")
    declared, missing = run(env, "-c", COUNT_DECLARED).stdout.split()
    assert int(declared) > 10
    assert int(missing) == 0

    # As a database migrated before installing on migrate existed: beat starts on an
    # empty schedule, then the operator installs it.
    run(env, "-c", WIPE_SCHEDULE)
    log_path = tmp_path / "beat.log"
    with open(log_path, "w") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "courseops", "beat", "--loglevel=INFO"]
            + [f"--schedule={tmp_path / 'beat'}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while "beat: Starting" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(3)  # its first tick has read the schedule
            seen = len(log_path.read_text())
            run(env, "manage.py", "install_periodic_tasks")
            # Loaded within a few ticks, far sooner than django-celery-beat's forced
            # 5-minute resync (a new entry then runs `every` after it was installed).
            deadline = time.monotonic() + 40
            while "Schedule changed" not in log_path.read_text()[seen:]:
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
        finally:
            beat.terminate()
            beat.wait(timeout=30)
