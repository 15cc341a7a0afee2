"""Last-seen times of the worker and beat processes, kept in the shared cache.

The health check reads them: a worker or beat that stopped is an outage staff must hear
about even though the web process still answers.
"""

import time

from django.core.cache import cache

WORKER = "worker"
BEAT = "beat"


def _key(process):
    return f"heartbeat:{process}"


def record(process):
    cache.set(_key(process), time.time(), timeout=None)


def seconds_since(process):
    """Seconds since `process` was last seen, or None if it never was."""
    seen = cache.get(_key(process))
    return None if seen is None else max(0.0, time.time() - seen)
