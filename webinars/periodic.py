from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="webinars.scan_reminders",
        task="webinars.scan_reminders",
        every=timedelta(seconds=60),
        description="Pone en la bandeja de salida los recordatorios de webinars que tocan.",
    )
)
