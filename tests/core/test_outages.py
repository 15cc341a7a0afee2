"""Outages are survivable: a broker or cache that goes away is logged, never fatal, and
beat and workers carry on alone when it comes back."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis

from courseops.core import heartbeat
from courseops.core.scheduler import HeartbeatDatabaseScheduler
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import queue_email
from tests.processes import ROOT, embedded_env, run


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_queue_email_with_the_broker_down_keeps_the_row_and_returns(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_email(
            to="ana@example.com", idempotency_key="outage-1", subject="Hola", text="Hola"
        )

    row = OutboundMessage.objects.get(pk=message.pk)
    assert row.status == Status.QUEUED
    assert "celery.enqueue.failed" in caplog.text
    assert "messaging.send_message" in caplog.text


def test_a_heartbeat_the_cache_refuses_is_logged_not_raised(monkeypatch, caplog):
    from django.core.cache.backends.redis import RedisCache

    unreachable = RedisCache(f"redis://127.0.0.1:{_free_port()}/0", {})
    monkeypatch.setattr(heartbeat, "cache", unreachable)

    assert heartbeat.record(heartbeat.BEAT) is False
    assert "heartbeat.failed" in caplog.text


@pytest.mark.django_db
def test_a_beat_tick_that_fails_is_retried_shortly_instead_of_ending_beat(monkeypatch, caplog):
    scheduler = HeartbeatDatabaseScheduler.__new__(HeartbeatDatabaseScheduler)
    scheduler._last_heartbeat = time.monotonic()

    def outage(self, *args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr("django_celery_beat.schedulers.DatabaseScheduler.tick", outage)

    assert scheduler.tick() == HeartbeatDatabaseScheduler.retry_after_error
    assert "beat.tick.failed" in caplog.text


# --- real processes against a Redis of our own, killed and restarted --------------------


class OwnRedis:
    def __init__(self, port, workdir):
        self.port, self.workdir, self.process = port, workdir, None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def client(self):
        return redis.Redis(port=self.port)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(_free_port(), tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s")


EVERY_FIVE_SECONDS = """
import django; django.setup()
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.create(name="probe", task="core.heartbeat", interval=every)
"""


@pytest.mark.processes
def test_beat_and_worker_live_through_a_redis_outage_and_resume_alone(
    migrated_var_dir, tmp_path, own_redis
):
    env = embedded_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{own_redis.port}/0")
    run(env, "-c", EVERY_FIVE_SECONDS)
    celery = [sys.executable, "-m", "celery", "-A", "courseops"]
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115 (closed below)
    beat = subprocess.Popen(
        [*celery, "beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat'}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--loglevel=INFO", "-n", f"outage-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = own_redis.client()
    beat_key, worker_key = b"courseops:1:heartbeat:beat", b"courseops:1:heartbeat:worker"
    try:
        # Bounds for a loaded machine (two processes starting Django and Celery on two busy
        # cores took over a minute once); each wait ends as soon as its condition holds.
        _wait(lambda: client.exists(beat_key), 180, "beat's first heartbeat")
        # The probe task runs every 5 s: the worker's heartbeat proves both ends work.
        _wait(lambda: client.exists(worker_key), 120, "the worker's first heartbeat")

        own_redis.kill()
        time.sleep(20)  # more than a heartbeat period (15 s): beat writes it into the void
        assert beat.poll() is None, "beat died during the outage"
        assert worker.poll() is None, "the worker died during the outage"

        own_redis.start()  # empty: nothing kept on disk
        client = own_redis.client()
        _wait(lambda: client.exists(beat_key), 90, "beat's heartbeat after the outage")
        _wait(lambda: client.exists(worker_key), 120, "a task run by the worker after the outage")
        assert beat.poll() is None
        assert worker.poll() is None
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    assert "heartbeat.failed" in (tmp_path / "processes.log").read_text()
