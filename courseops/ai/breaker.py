"""A circuit breaker per provider, kept in Django's cache so web and workers agree.

After `AI_BREAKER_FAILURES` transient failures (5xx, 429, timeouts) within the cool-down
window the circuit opens: calls fail fast for `AI_BREAKER_COOLDOWN_SECONDS`, then one
caller at a time may probe; its success closes the circuit, its failure reopens it.
"""

import time

from django.conf import settings
from django.core.cache import cache


def _keys(provider):
    prefix = f"ai:breaker:{provider}:"
    return prefix + "failures", prefix + "open_until", prefix + "probe"


def seconds_open(provider):
    """Seconds to wait before calling `provider` again, or None when a call may go ahead."""
    _, open_key, probe_key = _keys(provider)
    open_until = cache.get(open_key)
    if open_until is None:
        return None
    remaining = open_until - time.time()
    if remaining > 0:
        return remaining
    cooldown = settings.AI_BREAKER_COOLDOWN_SECONDS
    # Half-open: `add` succeeds for exactly one caller, the probe; the others keep waiting.
    if cache.add(probe_key, 1, timeout=cooldown):
        return None
    return cooldown


def record_failure(provider):
    failures_key, open_key, probe_key = _keys(provider)
    cooldown = settings.AI_BREAKER_COOLDOWN_SECONDS
    cache.add(failures_key, 0, timeout=cooldown)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.set(failures_key, 1, timeout=cooldown)
        failures = 1
    probing = cache.get(probe_key) is not None
    if probing or failures >= settings.AI_BREAKER_FAILURES:
        # The open marker outlives the cool-down so the half-open state is remembered.
        cache.set(open_key, time.time() + cooldown, timeout=cooldown * 10)
        cache.delete_many([failures_key, probe_key])


def record_success(provider):
    cache.delete_many(list(_keys(provider)))


def is_open(provider):
    """For display (admin, health): True while calls are being refused."""
    open_until = cache.get(_keys(provider)[1])
    return open_until is not None and open_until > time.time()
