from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="core.heartbeat",
        task="core.heartbeat",
        every=timedelta(seconds=60),
        description="Proves to /health/ that a worker consumes the queue.",
    )
)
