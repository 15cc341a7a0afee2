"""django-celery-beat's database scheduler, plus a heartbeat on every tick.

Beat survives outages: a heartbeat the cache refuses is logged (heartbeat.record), and a
tick that fails because the database or the broker is away is logged and retried a few
seconds later instead of ending the process; it resumes alone when they return.
"""

import logging
import time

from django.db import close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from courseops.core import heartbeat

logger = logging.getLogger(__name__)


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    heartbeat_every = 15.0
    retry_after_error = 5.0
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_every:
            heartbeat.record(heartbeat.BEAT)
            self._last_heartbeat = now
        try:
            # Never sleep longer than the heartbeat period, so an idle schedule still reports.
            return min(super().tick(*args, **kwargs), self.heartbeat_every)
        except Exception as exc:  # an outage of a service beat needs: wait and try again
            logger.warning("beat.tick.failed (%s: %s); retrying", type(exc).__name__, exc)
            try:
                close_old_connections()  # a broken connection is reopened next tick
            except Exception:  # the database is the one away: nothing to close cleanly
                logger.debug("beat.close_connections.failed", exc_info=True)
            return self.retry_after_error
