from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="webinars.scan_reminders",
        task="webinars.scan_reminders",
        every=timedelta(seconds=60),
        description="Pone en la bandeja de salida los recordatorios de webinars que tocan.",
    ),
    Periodic(
        name="webinars.advance_status",
        task="webinars.advance_status",
        every=timedelta(seconds=60),
        description="Marca los webinars como en vivo al empezar y finalizados al terminar.",
    ),
)
