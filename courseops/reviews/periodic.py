from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="reviews.requeue_stale_drafts",
        task="reviews.requeue_stale_drafts",
        every=timedelta(minutes=1),
        description=(
            "Takes over approved drafts whose worker died (at once) or whose apply task "
            "was lost (after a minute)."
        ),
    )
)
