"""What /health/ checks: database, cache, broker, and recent worker and beat heartbeats."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from courseops.core import heartbeat


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("health:probe", "ok", timeout=30)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("cache did not return what was written")


def _broker():
    from courseops.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


def _heartbeat(process):
    def check():
        age = heartbeat.seconds_since(process)
        if age is None:
            raise RuntimeError(f"{process} never seen")
        if age > settings.HEALTH_HEARTBEAT_MAX_AGE:
            raise RuntimeError(f"{process} last seen {int(age)} s ago")

    return check


CHECKS = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "worker": _heartbeat(heartbeat.WORKER),
    "beat": _heartbeat(heartbeat.BEAT),
}


def run_checks(names=None):
    """Returns (healthy, {name: "ok" | error message}) for `names` (default: every check).

    Probes pick: a web pod's readiness needs only its database and cache, and its liveness
    none at all (an empty list), so a stopped worker never takes the site down with it.
    """
    results = {}
    for name in CHECKS if names is None else names:
        check = CHECKS[name]
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever it is
            results[name] = f"{type(exc).__name__}: {exc}"
    return all(value == "ok" for value in results.values()), results
