"""Who holds claimed work, and whether that holder is still alive."""

import os
import socket
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from courseops.core import liveness
from courseops.core.models import Holder

pytestmark = pytest.mark.django_db


def dead_holder():
    """`host:pid` of a process of this host that has ended (as after a kill -9)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}"


def test_a_claiming_process_is_a_live_holder_with_a_fresh_heartbeat():
    me = liveness.me()

    assert me == f"{socket.gethostname()}:{os.getpid()}"
    assert Holder.objects.get(name=me).last_seen > timezone.now() - timedelta(seconds=5)
    assert liveness.gone({me}) == set()


def test_a_holder_of_this_host_is_gone_at_once_when_its_process_died_despite_a_heartbeat():
    holder = dead_holder()
    now = timezone.now()
    Holder.objects.create(name=holder, started_at=now, last_seen=now)

    assert liveness.gone({holder}) == {holder}


def test_a_holder_of_another_host_is_gone_a_minute_after_its_last_heartbeat():
    now = timezone.now()
    Holder.objects.create(name="worker-2:4242", started_at=now, last_seen=now)

    assert liveness.gone({"worker-2:4242"}, now=now + timedelta(seconds=59)) == set()
    assert liveness.gone({"worker-2:4242"}, now=now + timedelta(seconds=61)) == {"worker-2:4242"}
    assert liveness.gone({"never-seen:1"}) == {"never-seen:1"}


def test_work_nobody_picked_up_yet_has_no_holder_to_lose():
    assert liveness.gone({""}) == set()


def test_a_process_that_stops_cleanly_frees_its_work_at_once():
    me = liveness.me()
    liveness.stop()

    assert not Holder.objects.filter(name=me).exists()


def test_a_live_process_of_this_host_holds_its_work_whatever_its_heartbeat_row_says():
    me = liveness.me()
    Holder.objects.filter(name=me).delete()

    assert liveness.gone({me}, now=timezone.now() + timedelta(hours=1)) == set()


def test_a_killed_process_left_as_a_zombie_holds_nothing():
    """kill -9 of a worker's process group leaves its pool processes as zombies where
    nothing reaps them (a container's first process often does not)."""
    import time

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        time.sleep(0.3)  # exited, not yet reaped: a zombie
        holder = f"{liveness.me().rpartition(':')[0]}:{pid}"
        assert liveness.gone([holder]) == {holder}
    finally:
        os.waitpid(pid, 0)
