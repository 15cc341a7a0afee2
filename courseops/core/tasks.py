from celery import shared_task
from celery.signals import worker_ready

from courseops.core import heartbeat


@shared_task(name="core.heartbeat", ignore_result=True)
def record_worker_heartbeat():
    """Run by beat every minute: proves a worker is consuming the queue."""
    heartbeat.record(heartbeat.WORKER)


@worker_ready.connect
def _worker_started(**kwargs):
    heartbeat.record(heartbeat.WORKER)
