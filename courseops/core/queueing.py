"""Enqueueing never raises to the caller.

Every piece of pending work is a row (outbox message, webhook event, pipeline step,
reminder delivery...) and a periodic sweeper hands rows left behind to a worker. So a
broker that is down when a task is published is logged here, in one place for every task
of the project, and the caller goes on: its row is the record, the sweeper enqueues it
once the broker is back. The project's Celery app uses this class for all its tasks.
"""

import logging

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger("courseops.queueing")

try:  # the Redis client is only there when Redis is used
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = OperationalError

# What a broker that is unreachable raises from a publish, whatever the transport.
BROKER_ERRORS = (OperationalError, RedisError, OSError)


class SafeEnqueueTask(Task):
    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, **options):
        if self.app.conf.task_always_eager:
            # Eager mode runs the task in the caller: its errors are the task's, not the
            # broker's, and must reach the caller (tests, `make shell`).
            return super().apply_async(args, kwargs, task_id, producer, **options)
        try:
            return super().apply_async(args, kwargs, task_id, producer, **options)
        except BROKER_ERRORS as exc:
            logger.warning(
                "celery.enqueue.failed: %s not enqueued (%s: %s); its row waits for the sweeper",
                self.name,
                type(exc).__name__,
                exc,
                extra={"task": self.name},
            )
            return None
