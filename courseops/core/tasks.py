from celery import shared_task
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from courseops.core import heartbeat, liveness


@shared_task(name="core.heartbeat", ignore_result=True)
def record_worker_heartbeat():
    """Run by beat every minute: proves a worker is consuming the queue."""
    heartbeat.record(heartbeat.WORKER)


@shared_task(name="core.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys():
    """Hourly: API idempotency keys older than API_IDEMPOTENCY_TTL_HOURS go."""
    from courseops.core.idempotency import purge_expired

    return purge_expired()


@worker_ready.connect
def _worker_started(**kwargs):
    heartbeat.record(heartbeat.WORKER)


@worker_process_init.connect
@worker_ready.connect
def _start_liveness_heartbeat(**kwargs):
    """Pool children (prefork) and the main process (solo, threads) hold claimed work."""
    liveness.start_heartbeat()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _stop_liveness_heartbeat(**kwargs):
    liveness.stop()


@shared_task(name="core.forget_stale_holders", ignore_result=True)
def forget_stale_holders():
    liveness.forget_stale()
