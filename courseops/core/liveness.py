"""Who holds a unit of claimed work, and whether that holder is still alive.

Every unit a worker claims (an outbox message, a reminder delivery, a campaign batch, an
onboarding or content step, a webhook event) records its holder, `host:pid` of the process
that claimed it. Each holder has one heartbeat row (`core.Holder`) instead of each unit
having its own: a worker process beats every `BEAT_EVERY` from a daemon thread (started by
the Celery signals in courseops.core.tasks), and any other process beats when it claims.
A holder is gone when

- it runs on this host and its pid no longer exists (a `kill -9` is seen at once), or
- it runs on another host and has no heartbeat younger than `HOLDER_TIMEOUT`.

(Host names are unique per machine or container, and so is a pid within one.)

Sweepers ask `gone(holders)` about the holders of the work they see in flight and take
that work over at once, instead of waiting for a lease as long as the slowest task.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

BEAT_EVERY = 15.0  # seconds
HOLDER_TIMEOUT = timedelta(seconds=60)
# A claim beats again if its process has not beaten for this long (seconds).
CLAIM_BEAT_EVERY = 5.0

_HOST = socket.gethostname()
_state = {"pid": None, "beat_at": 0.0, "thread": None}


def me() -> str:
    """This process as a holder, with its heartbeat fresh: call it when claiming work."""
    name = f"{_HOST}:{os.getpid()}"
    recent = time.monotonic() - _state["beat_at"] < CLAIM_BEAT_EVERY
    # A beat written inside a transaction may yet be rolled back: only trust it when
    # it was committed on its own.
    if not recent or _state["pid"] != os.getpid() or connection.in_atomic_block:
        beat()
    return name


def beat() -> bool:
    """Write this process's heartbeat; False (logged) if the database refused it."""
    from courseops.core.models import Holder

    now = timezone.now()
    name = f"{_HOST}:{os.getpid()}"
    try:
        Holder.objects.update_or_create(
            name=name,
            defaults={"last_seen": now},
            create_defaults={"started_at": now, "last_seen": now},
        )
    except Exception as exc:  # the database away: the next beat tries again
        logger.warning("liveness.beat.failed (%s: %s)", type(exc).__name__, exc)
        return False
    if not connection.in_atomic_block:
        _state.update(pid=os.getpid(), beat_at=time.monotonic())
    return True


def _beat_forever():
    # Its own database connection (Django's are per thread), never one inherited by fork.
    while True:
        beat()
        close_old_connections()
        time.sleep(BEAT_EVERY)


def start_heartbeat():
    """Beat from a daemon thread of this process (a worker, or a pool child)."""
    thread = _state["thread"]
    if thread is not None and thread.is_alive() and _state["pid"] == os.getpid():
        return
    _state["pid"] = os.getpid()
    thread = threading.Thread(target=_beat_forever, name="liveness-heartbeat", daemon=True)
    thread.start()
    _state["thread"] = thread


def stop():
    """A process that exits cleanly says so: whatever it still held is free at once."""
    from courseops.core.models import Holder

    try:
        Holder.objects.filter(name=f"{_HOST}:{os.getpid()}").delete()
    except Exception as exc:
        logger.warning("liveness.stop.failed (%s: %s)", type(exc).__name__, exc)


def _local_pid(holder):
    """The pid of a holder on this host, else None."""
    host, _, pid = holder.rpartition(":")
    return int(pid) if host == _HOST and pid.isdigit() else None


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return not _zombie(pid)


def _zombie(pid):
    """A killed worker's pool process stays in the process table as a zombie until
    something reaps it (in a container, often nothing does): it holds no work."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):  # no /proc (macOS), or gone meanwhile
        return False
    return state in ("Z", "X")


def gone(holders, *, now=None) -> set:
    """The holders among `holders` that are gone. On this host the process table decides
    (a dead pid is gone at once, a live one is alive); a holder on another host is gone
    without a heartbeat in the last `HOLDER_TIMEOUT`. An empty holder (work nobody has
    started) is never "gone": leases cover it."""
    from courseops.core.models import Holder

    holders = {holder for holder in holders if holder}
    dead = {h for h in holders if _local_pid(h) is not None and not _pid_alive(_local_pid(h))}
    remote = {holder for holder in holders if _local_pid(holder) is None}
    if remote:
        now = now or timezone.now()
        alive = set(
            Holder.objects.filter(name__in=remote, last_seen__gte=now - HOLDER_TIMEOUT).values_list(
                "name", flat=True
            )
        )
        dead |= remote - alive
    return dead


def held_by_gone(queryset, *, field="held_by", now=None):
    """`queryset` narrowed to the rows whose holder is gone (two queries: the distinct
    holders in flight, then the rows of the gone ones)."""
    holders = set(queryset.exclude(**{field: ""}).values_list(field, flat=True).distinct())
    dead = gone(holders, now=now)
    return queryset.filter(Q(**{f"{field}__in": dead})) if dead else queryset.none()


def forget_stale(*, now=None, older_than=timedelta(days=1)):
    """Heartbeat rows of processes long gone; run by a sweeper now and then."""
    from courseops.core.models import Holder

    now = now or timezone.now()
    return Holder.objects.filter(last_seen__lt=now - older_than).delete()[0]


# --- Rows a worker claims: one shape for every outbox-like table ---------------------------
# A row is free while pending (or while its holder is gone); `claim` takes it for this
# process in one conditional UPDATE, `retry_delay` spaces the attempts after a passing
# failure, `free_gone` and `enqueue_due` are the sweeper's two halves.


def claim(queryset, **fields) -> bool:
    """Take the row of `queryset` (narrowed to it being free to take) for this process,
    setting `fields` too, in one conditional UPDATE; False if another worker has it."""
    return bool(queryset.update(held_by=me(), **fields))


def retry_delay(attempts, *, cap):
    """The wait before trying again after `attempts` passing failures: 2^attempts minutes,
    at most `cap`."""
    return min(timedelta(minutes=2**attempts), cap)


def free_gone(queryset, **fields) -> int:
    """The rows of `queryset` whose holder is gone are let go, with `fields` set; how many."""
    return held_by_gone(queryset).update(held_by="", **fields)


def enqueue_due(queryset, enqueue, *, order_by="next_attempt_at", limit=500) -> int:
    """Hand the due rows of `queryset` to `enqueue(pk)`, oldest due first; how many."""
    pks = list(queryset.order_by(order_by).values_list("pk", flat=True)[:limit])
    for pk in pks:
        enqueue(pk)
    return len(pks)
