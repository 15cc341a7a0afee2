"""Webhook inbox: how fast `POST /webhooks/generic/` acknowledges, next to a bare view.

Both run in the same gunicorn server (2 x cores + 1 sync workers, gunicorn's advice, and
the worker class production runs; `BENCH_WEBHOOK_THREADS` > 1 tries gthread) on a
throw-away database, driven by concurrent clients in this process; each webhook is a new
signed event, so every request verifies, inserts a row and publishes a task. Also: the
admin event list's query count at 10 and 1,000 rows.
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
WORKERS = int(os.environ.get("BENCH_WEBHOOK_WORKERS", 2 * (os.cpu_count() or 1) + 1))
THREADS = int(os.environ.get("BENCH_WEBHOOK_THREADS", 1))
WARMUP = 100
# Under a loaded machine five gunicorn workers importing Django took over 30 s.
START_DEADLINE = float(os.environ.get("BENCH_WEBHOOK_START_SECONDS", 240))
ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, database_name):
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
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--threads={THREADS}",
        # A worker's first requests (URL resolver, Redis client) took over gunicorn's
        # default 30 s at a load of 29, which killed it mid-request (a 500).
        f"--timeout={int(START_DEADLINE)}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        if healthy(port):
            return server
        time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer /health/ within {START_DEADLINE:.0f} s")


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
    return requests


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
    port = free_port()
    print(
        f"requests per run: {REQUESTS}, clients: {CLIENTS}, gunicorn workers: {WORKERS}, "
        f"threads each: {THREADS} ({'gthread' if THREADS > 1 else 'sync'})"
    )
    started = time.monotonic()
    server = start_server(port, connection.settings_dict["NAME"])
    print(f"gunicorn answered /health/ after {time.monotonic() - started:.1f} s", flush=True)
    try:
        drive(port, "/bench/bare/", signed_requests(WARMUP, "warm-bare"))
        drive(port, "/webhooks/generic/", signed_requests(WARMUP, "warm"))
        # The bare view gets the same bodies, so both sides read the same bytes.
        cpu_before = server_cpu_seconds(server)
        bare_rps, bare_lat = drive(port, "/bench/bare/", signed_requests(REQUESTS, "bare"))
        cpu_middle = server_cpu_seconds(server)
        print(
            f"bare view:        {bare_rps:7.0f} req/s  p50 "
            f"{statistics.median(bare_lat) * 1000:5.1f} ms  p99 {p99(bare_lat):5.1f} ms",
            flush=True,
        )
        hook_rps, hook_lat = drive(port, "/webhooks/generic/", signed_requests(REQUESTS, "e"))
        cpu_after = server_cpu_seconds(server)
    finally:
        stop_server(server)

    from courseops.webhooks.models import WebhookEvent

    stored = WebhookEvent.objects.filter(event_id__startswith="e-").count()
    print(
        f"/webhooks/generic/: {hook_rps:5.0f} req/s  p50 "
        f"{statistics.median(hook_lat) * 1000:5.1f} ms  p99 {p99(hook_lat):5.1f} ms"
    )
    print(f"webhook / bare throughput: {hook_rps / bare_rps:.0%} (goal >= 50%)")
    print(f"events stored: {stored} of {REQUESTS}")
    if cpu_before is not None:
        bare_cpu = (cpu_middle - cpu_before) / REQUESTS * 1000
        hook_cpu = (cpu_after - cpu_middle) / REQUESTS * 1000
        print(
            f"server CPU per request: bare {bare_cpu:.2f} ms, webhook {hook_cpu:.2f} ms "
            f"(CPU-bound ratio {bare_cpu / hook_cpu:.0%})"
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
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)


def _broker():
    from django.conf import settings

    return settings.CELERY_BROKER_URL.split("://")[0]


if __name__ == "__main__":
    main()
