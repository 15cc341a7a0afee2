from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="outbound.sweep",
        task="outbound.sweep",
        every=timedelta(seconds=60),
        description="Sends outbound webhook deliveries that are due and takes over those a "
        "dead worker held.",
    )
)
