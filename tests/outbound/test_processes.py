"""The issue's test with a real worker (embedded defaults: SQLite and the filesystem
broker): an integrator subscribes through the API to every event, each event is
announced, and the worker is killed (kill -9, its whole process group) while it waits on
a delivery's answer. The next sweep takes that delivery over at once (its holder is
dead), a new worker sends it again with the same `webhook-id`, and the receiver answers
each event exactly once, every request verified with the `standardwebhooks` library."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from tests.processes import ROOT, embedded_env, run

pytestmark = pytest.mark.processes

SUBSCRIBE = """
import django, json; django.setup()
from django.contrib.auth.models import Permission, User
from django.test.utils import setup_test_environment
from rest_framework.test import APIClient
from courseops.outbound.catalogue import event_types
setup_test_environment()  # lets the API client in (ALLOWED_HOSTS: testserver)
user = User.objects.create_user("integra", is_staff=True)
user.user_permissions.set(Permission.objects.filter(content_type__app_label="outbound"))
api = APIClient()
api.force_authenticate(user)
response = api.post(
    "/api/v1/webhooks/subscriptions/",
    {{"target_url": {url!r}, "events": sorted(event_types())}},
    format="json",
)
assert response.status_code == 201, response.content
print(json.dumps(response.json()))
"""
ANNOUNCE = """
import django; django.setup()
from courseops.outbound.catalogue import event_types
from courseops.outbound.services.announce import announce
for name, spec in event_types().items():
    announce(name, spec.example)
"""
SWEEP = """
import django; django.setup()
from courseops.outbound.services.delivery import deliveries_sweep
print(deliveries_sweep())
"""


def _worker(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courseops", "worker", "--concurrency=1"]
        + ["--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed whole
    )


def _statuses(db):
    with sqlite3.connect(db, timeout=20) as conn:
        return dict(
            conn.execute(
                "SELECT status, COUNT(*) FROM outbound_delivery GROUP BY status"
            ).fetchall()
        )


class Receiver:
    """A webhook receiver on 127.0.0.1 that verifies every request as it arrives and
    leaves the very first one unanswered (the worker is killed while it waits)."""

    def __init__(self):
        self.secret = None
        self.requests = []  # (webhook-id, type, verified?, answered?)
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {key.lower(): value for key, value in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    ok = True
                except Exception:
                    payload, ok = {}, False
                with receiver.lock:
                    first = not receiver.requests
                    receiver.requests.append(
                        [headers.get("webhook-id"), payload.get("type"), ok, not first]
                    )
                if first:
                    receiver.stalled.set()
                    receiver.release.wait(120)  # never answered: the worker dies first
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/n8n"

    def close(self):
        self.release.set()
        self.server.shutdown()


def test_every_event_is_delivered_once_although_the_worker_was_killed_mid_delivery(
    migrated_var_dir, tmp_path
):
    receiver = Receiver()
    env = embedded_env(tmp_path)
    env.update(HTTP_USER_URL_ALLOWED_NETWORKS="127.0.0.1/32", OUTBOUND_WEBHOOKS_TIMEOUT="60")
    db = tmp_path / "db.sqlite3"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    worker = None
    try:
        subscription = json.loads(
            run(env, "-c", SUBSCRIBE.format(url=receiver.url)).stdout.strip().splitlines()[-1]
        )
        receiver.secret = subscription["secret"]
        run(env, "-c", ANNOUNCE)
        assert _statuses(db) == {"pending": 16}

        worker = _worker(env, log)
        assert receiver.stalled.wait(300), (tmp_path / "worker.log").read_text()[-3000:]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert _statuses(db).get("sending") == 1  # the one it was waiting on

        # Beat's sweep (every minute) takes the dead worker's delivery over at once and
        # hands out again what its lost tasks left pending; a new worker sends them.
        worker = _worker(env, log)
        deadline = time.monotonic() + 400
        next_sweep = 0
        while _statuses(db) != {"delivered": 16}:
            assert time.monotonic() < deadline, (_statuses(db), receiver.requests)
            if time.monotonic() >= next_sweep:
                run(env, "-c", SWEEP)
                next_sweep = time.monotonic() + 15
            time.sleep(0.5)
    finally:
        if worker is not None:
            try:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=60)
            except ProcessLookupError:
                pass
        log.close()
        receiver.close()

    requests = receiver.requests
    assert all(ok for _id, _type, ok, _answered in requests)  # every signature verified
    answered = [webhook_id for webhook_id, _type, _ok, was in requests if was]
    assert len(answered) == len(set(answered)) == 16  # each event answered exactly once
    assert sorted({kind for _id, kind, _ok, _was in requests}) == sorted(subscription["events"])
    stalled_id = requests[0][0]
    # The unanswered one came again with the same webhook-id: a receiver dedupes on it.
    assert [webhook_id for webhook_id, *_ in requests].count(stalled_id) == 2
    with sqlite3.connect(db, timeout=20) as conn:
        takeovers = conn.execute("SELECT SUM(takeovers) FROM outbound_delivery").fetchone()[0]
    assert takeovers == 1
