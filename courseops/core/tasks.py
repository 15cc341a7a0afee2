from celery import shared_task
from celery.signals import worker_ready

from courseops.core import heartbeat


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
