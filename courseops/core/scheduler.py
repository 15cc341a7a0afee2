"""django-celery-beat's database scheduler, plus a heartbeat on every tick.

Beat survives outages: a heartbeat the cache refuses is logged (heartbeat.record), and a
tick that fails because the database or the broker is away is logged and retried a few
seconds later instead of ending the process; it resumes alone when they return.

Beat also picks up every schedule change without a restart. django-celery-beat notices
a change by comparing `PeriodicTasks.last_update` with the value it saw last, but when
that row did not exist at start (a fresh database: `migrate`, then beat, then the first
install) it remembers None and the first change compares a timestamp with itself, so it
is missed until an unrelated second change (or its 5-minute forced sync). Here a change
seen for the first time counts as a change. The change time beat has loaded is kept in
the cache for /health/ to compare with the database's.
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

    def schedule_changed(self):
        before = self._last_timestamp
        changed = super().schedule_changed()
        if not changed and before is None and self._last_timestamp is not None:
            changed = True
        return changed

    def setup_schedule(self):
        super().setup_schedule()  # writes beat's default entries: a change of its own
        # Start from the change just loaded, so the next one is told apart from it and
        # /health/ can tell a loaded schedule from a stale one.
        self._last_timestamp = self.Changes.last_change()

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_every:
            heartbeat.record(heartbeat.BEAT)
            heartbeat.record_schedule_loaded(self._last_timestamp)
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
