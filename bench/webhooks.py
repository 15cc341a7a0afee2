"""Webhook inbox: how fast a webhook door acknowledges, next to a bare view.

Both run in the same gunicorn server (2 x cores + 1 sync workers, gunicorn's advice, and
the worker class production runs; `BENCH_WEBHOOK_THREADS` > 1 tries gthread) with
production's DEBUG off, on a throw-away database, driven by concurrent clients in this
process. Each delivery is Typeform's documented example with its own event id, signed as
Typeform signs it (`BENCH_WEBHOOK_PAYLOAD=short`: a 90-byte generic event instead), so
every request verifies, inserts a row and asks for a dispatch. Also: the admin event
list's query count at 10 and 1,000 rows.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import bench_database, setup_django

REQUESTS = int(os.environ.get("BENCH_WEBHOOK_REQUESTS", 3000))
CLIENTS = int(os.environ.get("BENCH_WEBHOOK_CLIENTS", 8))
# People's pages: production's web (sync workers, 2 x cores + 1, gunicorn's advice).
WORKERS = int(os.environ.get("BENCH_WEBHOOK_WORKERS", 2 * (os.cpu_count() or 1) + 1))
THREADS = int(os.environ.get("BENCH_WEBHOOK_THREADS", 1))
# The webhook doors: production's hooks tier (deploy/k8s/base/hooks.yaml), W workers of T
# threads; "0" serves them from the people's server, as before that tier existed.
HOOKS_TIER = os.environ.get("BENCH_WEBHOOK_HOOKS", "2x4")
WARMUP = 100
# Under a loaded machine five gunicorn workers importing Django took over 30 s.
START_DEADLINE = float(os.environ.get("BENCH_WEBHOOK_START_SECONDS", 240))
# What each delivery carries: "typeform" (a real form response, the default) or "short".
PAYLOAD = os.environ.get("BENCH_WEBHOOK_PAYLOAD", "typeform")
ROOT = Path(__file__).resolve().parent.parent
TYPEFORM_EXAMPLE = "tests/fixtures/vendors/typeform/official_example.json"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn server of `workers` x `threads` (gthread above one thread)."""

    def __init__(self, label, database_name, workers, threads):
        self.label, self.workers, self.threads = label, workers, threads
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_DATABASE_NAME": database_name,
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "courseops.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--threads={threads}",
            # A worker's first requests (URL resolver, Redis client) took over gunicorn's
            # default 30 s at a load of 29, which killed it mid-request (a 500).
            f"--timeout={int(START_DEADLINE)}",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)

    def __str__(self):
        kind = f"gthread {self.workers}x{self.threads}" if self.threads > 1 else "sync"
        return f"{self.label} ({kind}, {self.workers} workers)"

    def wait_healthy(self, deadline):
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            if healthy(self.port):
                return
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer /health/ within {START_DEADLINE:.0f} s")

    def run(self, path, requests):
        """(req/s, latencies, server CPU ms per request or None)."""
        cpu_before = server_cpu_seconds(self.process)
        rps, latencies = drive(self.port, path, requests)
        cpu_after = server_cpu_seconds(self.process)
        cpu = None if cpu_before is None else (cpu_after - cpu_before) / len(requests) * 1000
        return rps, latencies, cpu

    def stop(self):
        stop_server(self.process)


def stop_server(server):
    """Gracefully, with time for a loaded machine; killed if it will not go (a timeout
    here once hid the measurement's own error)."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def healthy(port):
    """The server answers its database probe (the app loaded, the database reachable)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/health/?checks=database")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def post(port, path, body, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def signed_requests(count, prefix):
    """`count` deliveries of the payload chosen, each with its own event id, signed as its
    sender signs: (path, [(body, headers)])."""
    return PAYLOADS[PAYLOAD](count, prefix)


def typeform_requests(count, prefix):
    """Typeform's documented example response (6.6 KB; the fixture names its source),
    signed as Typeform signs it: `Typeform-Signature: sha256=<base64 HMAC of the body>`."""
    from django.conf import settings

    example = json.loads((ROOT / TYPEFORM_EXAMPLE).read_text())
    example.pop("_source")
    key = settings.TYPEFORM_WEBHOOK_SECRET.encode()
    requests = []
    for i in range(count):
        body = json.dumps({**example, "event_id": f"{prefix}-{i}"}).encode()
        digest = hmac.new(key, body, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "Typeform-Signature": "sha256=" + base64.b64encode(digest).decode(),
            "User-Agent": "Typeform Webhooks",
        }
        requests.append((body, headers))
    return "/webhooks/typeform/", requests


def short_requests(count, prefix):
    """A 90-byte Standard Webhooks event to the generic door (the bench's figures before
    2026-12-07 were measured with it)."""
    from django.conf import settings

    key = settings.BENCH_GENERIC_KEY
    requests = []
    for i in range(count):
        event_id = f"{prefix}-{i}"
        body = json.dumps(
            {"type": "registration.created", "data": {"email": f"alumno{i}@example.com"}}
        ).encode()
        sent_at = int(time.time())
        digest = hmac.new(key, f"{event_id}.{sent_at}.".encode() + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "Webhook-Id": event_id,
            "Webhook-Timestamp": str(sent_at),
            "Webhook-Signature": "v1," + base64.b64encode(digest.digest()).decode(),
        }
        requests.append((body, headers))
    return "/webhooks/generic/", requests


PAYLOADS = {"typeform": typeform_requests, "short": short_requests}


def server_cpu_seconds(server):
    """CPU time the gunicorn workers have used (Linux /proc), or None elsewhere.

    On a shared machine wall-clock throughput moves with the neighbours' load; the CPU
    each request costs the server does not.
    """
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        ticks = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def drive(port, path, requests):
    """Send every request with CLIENTS concurrent clients; returns (req/s, latencies)."""

    def one(request):
        body, headers = request
        started = time.perf_counter()
        status = post(port, path, body, headers)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        latencies = list(pool.map(one, requests))
    return len(requests) / (time.perf_counter() - started), latencies


def p99(latencies):
    return statistics.quantiles(latencies, n=100)[98] * 1000


def measure_ack(connection):
    """Each figure is printed as soon as it is measured, so a later failure loses none."""
    print(f"requests per run: {REQUESTS}, clients: {CLIENTS}, payload: {PAYLOAD}")
    name = connection.settings_dict["NAME"]
    started = time.monotonic()
    people = Server("people's server", name, WORKERS, THREADS)
    servers = [people]
    if HOOKS_TIER != "0":
        workers, threads = (int(n) for n in HOOKS_TIER.split("x"))
        servers.append(Server("hooks tier", name, workers, threads))
    hooks = servers[-1]
    try:
        for server in servers:
            server.wait_healthy(started + START_DEADLINE)
        print(f"gunicorn answered /health/ after {time.monotonic() - started:.1f} s", flush=True)
        hook_path, warm = signed_requests(WARMUP, "warm")
        for server in servers:
            drive(server.port, "/bench/bare/", warm)
        drive(hooks.port, hook_path, warm)
        # The bare view gets the same bodies, so both sides read the same bytes.
        _, bare_requests = signed_requests(REQUESTS, "bare")
        bare = people.run("/bench/bare/", bare_requests)
        report(f"bare view, {people}", *bare)
        if hooks is not people:
            report(f"bare view, {hooks}", *hooks.run("/bench/bare/", bare_requests))
        _, hook_requests = signed_requests(REQUESTS, "e")
        hook = hooks.run(hook_path, hook_requests)
        report(f"{hook_path}, {hooks}", *hook)
    finally:
        for server in servers:
            server.stop()

    from courseops.webhooks.models import WebhookEvent

    stored = WebhookEvent.objects.filter(event_id__startswith="e-").count()
    print(f"webhook / bare view throughput: {hook[0] / bare[0]:.0%} (goal >= 50%)")
    print(f"events stored: {stored} of {REQUESTS}")


def report(label, rps, latencies, cpu):
    cpu_text = "" if cpu is None else f"  server CPU {cpu:.2f} ms/request"
    print(
        f"{label}: {rps:5.0f} req/s  p50 {statistics.median(latencies) * 1000:5.1f} ms  "
        f"p99 {p99(latencies):5.1f} ms{cpu_text}",
        flush=True,
    )


def measure_admin(connection):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from courseops.webhooks.models import WebhookEvent

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    client = Client()
    client.force_login(user)
    for rows in (10, 1000):
        WebhookEvent.objects.all().delete()
        WebhookEvent.objects.bulk_create(
            WebhookEvent(
                provider="generic",
                event_id=f"adm-{i}",
                event_type="registration.created",
                body=json.dumps({"pad": "x" * 2000}),
                payload={"pad": "x" * 2000},
                last_error="RuntimeError: " + "y" * 300,
            )
            for i in range(rows)
        )
        client.get("/admin/webhooks/webhookevent/")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/admin/webhooks/webhookevent/")
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200
        print(f"admin event list, {rows:>5} rows: {len(queries)} queries, {elapsed:.0f} ms")


def purge_bench_queue():
    from courseops.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("bench")


def main():
    # Request logs of the admin measurement would drown the figures.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django("bench.settings")
    _make_var_folders()
    with bench_database() as connection:
        engine = connection.vendor
        print(f"database: {engine}, broker: {_broker()}")
        try:
            measure_ack(connection)
        finally:
            purge_bench_queue()
        measure_admin(connection)


def _make_var_folders():
    """The embedded defaults keep the SQLite file and the broker's messages under VAR_DIR."""
    from django.conf import settings

    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    # WhiteNoise serves what collectstatic put there, as in production; empty here.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


def _broker():
    from django.conf import settings

    return settings.CELERY_BROKER_URL.split("://")[0]


if __name__ == "__main__":
    main()
