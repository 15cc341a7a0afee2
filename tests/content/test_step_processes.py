"""A worker killed (kill -9) a few seconds into a content step: "Reanudar desde el paso
pendiente" takes the step over at once, without waiting for any lease (real worker,
embedded defaults; the video is downloaded from a local server that stalls the first time)."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.processes import ROOT, embedded_env, run

pytestmark = pytest.mark.processes
VIDEO = b"\x00" * 200_000

SETUP = """
import django; django.setup()
from content.models import Course, Lesson
from content.services.pipeline import start_job
from django.db import transaction
with transaction.atomic():
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    lesson = Lesson.objects.create(course=course, order=1, title="RAG", video_url={url!r})
    start_job(lesson=lesson)
"""
RESUME = """
import django; django.setup()
from django.db import transaction
from content.models import ContentJob
from content.services.pipeline import resume_job
with transaction.atomic():
    resume_job(job=ContentJob.objects.get())
"""


class StallsOnce(BaseHTTPRequestHandler):
    requests = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(VIDEO)))
        self.end_headers()
        if type(self).requests == 1:  # the first download hangs mid-way (its worker dies)
            self.wfile.write(VIDEO[:1000])
            self.wfile.flush()
            time.sleep(90)
            return
        self.wfile.write(VIDEO)

    def log_message(self, *args):
        pass


def _source_step(db):
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(
            "SELECT status, attempts, held_by, log FROM content_jobstep WHERE name = 'source'"
        ).fetchone()


def _worker(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "courseops", "worker", "--concurrency=1"]
        + ["--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_resuming_a_content_step_whose_worker_was_killed_runs_it_again_at_once(
    migrated_var_dir, tmp_path
):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StallsOnce)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = embedded_env(tmp_path)
    # The lesson's video is served here, on loopback, which URLs staff type may not reach.
    env["HTTP_USER_URL_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    db = tmp_path / "db.sqlite3"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    worker = None
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/clase.mp4"
        run(env, "-c", SETUP.format(url=url))
        worker = _worker(env, log)
        _wait(lambda: StallsOnce.requests == 1, 300, "the download never started")
        assert _source_step(db)[0] == "running"
        time.sleep(2)  # a few seconds into the step
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert _source_step(db)[0] == "running"  # left behind by the dead worker

        worker = _worker(env, log)
        started = time.monotonic()
        run(env, "-c", RESUME)  # the admin action "Reanudar desde el paso pendiente"
        _wait(lambda: _source_step(db)[0] == "done", 120, f"not resumed: {_source_step(db)}")
        resumed_in = time.monotonic() - started
    finally:
        if worker is not None:
            try:
                # Killed, not asked to stop: a warm shutdown can outlast a loaded machine.
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=60)
            except ProcessLookupError:
                pass
        server.shutdown()
        log.close()

    status, attempts, _held_by, step_log = _source_step(db)
    assert attempts == 1  # the killed attempt never recorded itself; this one did
    assert "El worker que ejecutaba este paso se detuvo" in step_log
    assert StallsOnce.requests == 2
    assert resumed_in < 60  # not the 60-minute lease
