"""Last-seen times of the worker and beat processes, kept in the shared cache.

The health check reads them: a worker or beat that stopped is an outage staff must hear
about even though the web process still answers. Writing one is never fatal: a cache
(Redis) outage must not kill the beat or a worker that records it; it is logged and the
next beat writes it again.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

WORKER = "worker"
BEAT = "beat"


def _key(process):
    return f"heartbeat:{process}"


def record(process) -> bool:
    """Write `process`'s last-seen time; False (logged) when the cache is unreachable."""
    try:
        cache.set(_key(process), time.time(), timeout=None)
    except Exception as exc:  # whatever the cache backend raises: Redis, file system...
        logger.warning("heartbeat.failed: %s (%s: %s)", process, type(exc).__name__, exc)
        return False
    return True


def seconds_since(process):
    """Seconds since `process` was last seen, or None if it never was."""
    seen = cache.get(_key(process))
    return None if seen is None else max(0.0, time.time() - seen)


SCHEDULE_LOADED = "heartbeat:beat_schedule"


def record_schedule_loaded(changed_at):
    """The schedule change (django-celery-beat's `last_update`) the beat has loaded."""
    try:
        cache.set(SCHEDULE_LOADED, changed_at.timestamp() if changed_at else 0.0, timeout=None)
    except Exception as exc:
        logger.warning("heartbeat.failed: schedule (%s: %s)", type(exc).__name__, exc)


def schedule_loaded():
    """Timestamp of the schedule change beat last loaded; None if beat never said."""
    return cache.get(SCHEDULE_LOADED)
