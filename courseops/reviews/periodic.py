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
    ),
    Periodic(
        name="reviews.withdraw_expired_held",
        task="reviews.withdraw_expired_held",
        every=timedelta(minutes=1),
        description=(
            "Withdraws held messages whose moment passed before anyone reviewed them (a "
            "reminder once its webinar started): dropped, with the reason."
        ),
    ),
)
