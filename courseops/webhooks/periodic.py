from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="webhooks.sweep",
        task="webhooks.sweep",
        every=timedelta(seconds=60),
        description="Re-enqueues webhook events left received, due for retry or stuck.",
    )
)
