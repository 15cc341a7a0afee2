"""django-celery-beat's database scheduler, plus a heartbeat on every tick."""

import time

from django_celery_beat.schedulers import DatabaseScheduler

from courseops.core import heartbeat


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    heartbeat_every = 15.0
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_every:
            heartbeat.record(heartbeat.BEAT)
            self._last_heartbeat = now
        # Never sleep longer than the heartbeat period, so an idle schedule still reports.
        return min(super().tick(*args, **kwargs), self.heartbeat_every)
