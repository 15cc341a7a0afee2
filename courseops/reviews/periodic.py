from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="reviews.requeue_stale_drafts",
        task="reviews.requeue_stale_drafts",
        every=timedelta(minutes=5),
        description="Re-enqueues approved drafts whose action never ran (lost task).",
    )
)
