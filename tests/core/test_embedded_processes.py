"""The embedded defaults really work as separate processes: a worker and a beat on the
filesystem broker and SQLite, seen by the health check of a third process."""

import json
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, embedded_env, run

PROBE = """
import django, json
django.setup()
from courseops.core import heartbeat
from courseops.core.health import run_checks
action = {action!r}
if action == "forget-worker":
    from django.core.cache import cache
    cache.delete("heartbeat:worker")
elif action == "enqueue-heartbeat":
    from courseops.core.tasks import record_worker_heartbeat
    record_worker_heartbeat.delay()
print(json.dumps(run_checks()[1]))
"""

pytestmark = pytest.mark.processes


def _probe(env, action=""):
    return json.loads(run(env, "-c", PROBE.format(action=action)).stdout.strip().splitlines()[-1])


def _wait_for(env, condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        checks = _probe(env)
        if condition(checks):
            return checks
        time.sleep(1)
    raise AssertionError(f"not reached in {timeout} s: {checks}")


@pytest.fixture
def embedded(migrated_var_dir, tmp_path):
    env = embedded_env(tmp_path)
    run(env, "manage.py", "install_periodic_tasks")
    celery = [sys.executable, "-m", "celery", "-A", "courseops"]
    processes = [
        subprocess.Popen(
            [*celery, "worker", "--concurrency=1", "--loglevel=WARNING"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=WARNING", f"--schedule={tmp_path / 'beat'}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    yield env
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def test_worker_and_beat_run_on_the_embedded_broker_and_health_sees_them(embedded):
    checks = _wait_for(embedded, lambda c: c["worker"] == "ok" and c["beat"] == "ok")
    assert checks == dict.fromkeys(
        ["database", "cache", "broker", "worker", "beat", "schedule"], "ok"
    )

    # A task enqueued by another process is consumed by the worker.
    assert "never seen" in _probe(embedded, "forget-worker")["worker"]
    _probe(embedded, "enqueue-heartbeat")
    _wait_for(embedded, lambda c: c["worker"] == "ok", timeout=30)


def test_manage_check_deploy_is_clean_under_production_settings(tmp_path):
    env = embedded_env(tmp_path)
    env.update(
        COURSEOPS_ENV="production",
        DJANGO_SECRET_KEY="x" * 30 + "-production-secret-key-for-the-check-only-0123456789",
        DJANGO_ALLOWED_HOSTS="ops.example.com",
        REDIS_URL="redis://127.0.0.1:6379/15",
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        POSTMARK_SERVER_TOKEN="token",
        ANYMAIL_WEBHOOK_SECRET="hook:check-only",  # messaging.E003 without it
        # Required in production (courseops.E101); Fernet-format keys.
        FIELD_ENCRYPTION_KEYS="Y291cnNlb3BzLWNoZWNrLW9ubHktZmllbGQta2V5LTE=",
        FIELD_HASH_KEY="check-only-blind-index-key",
        BACKUP_ENCRYPTION_KEYS="Y291cnNlb3BzLWNoZWNrLW9ubHktYmFja3VwLWtleTE=",
    )

    result = run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = embedded_env(tmp_path)
    env.update(COURSEOPS_ENV="production", DJANGO_ALLOWED_HOSTS="ops.example.com")
    env.pop("DJANGO_SECRET_KEY", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_empty_service_variables_mean_the_embedded_defaults(tmp_path):
    env = embedded_env(tmp_path)
    env.update(DATABASE_URL="", REDIS_URL="", CELERY_BROKER_URL="")

    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    result = run(env, "-c", probe)

    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://localhost//"]
    assert (tmp_path / "broker" / "queue").is_dir()
