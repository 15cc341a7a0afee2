"""What /health/ checks: database, cache, broker, recent worker and beat heartbeats, and
that the schedule beat runs is the one declared in code and the one it has loaded."""

import time

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


# Beat looks for schedule changes on every tick (15 s at most) and reports the change it
# loaded with its heartbeat: a change older than this and still not loaded is stale.
SCHEDULE_STALE_AFTER = 60


def _schedule():
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from courseops.core.schedules import declared

    names = set(declared())
    missing = sorted(
        names - set(PeriodicTask.objects.filter(name__in=names).values_list("name", flat=True))
    )
    if missing:
        raise RuntimeError(
            f"{len(missing)} declared periodic task(s) missing ({', '.join(missing[:5])}): "
            "run manage.py migrate or install_periodic_tasks"
        )
    changed, loaded = PeriodicTasks.last_change(), heartbeat.schedule_loaded()
    if changed is None or loaded is None:
        return  # never changed since install, or beat never seen (the beat check says so)
    age = time.time() - changed.timestamp()
    if changed.timestamp() > loaded + 1 and age > SCHEDULE_STALE_AFTER:
        raise RuntimeError(f"beat has not loaded the schedule changed {int(age)} s ago")


CHECKS = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "worker": _heartbeat(heartbeat.WORKER),
    "beat": _heartbeat(heartbeat.BEAT),
    "schedule": _schedule,
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
