from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="surveys.send_due",
        task="surveys.send_due",
        every=timedelta(minutes=30),
        description="Envía la encuesta de satisfacción tras el seguimiento de cada webinar "
        "y el NPS a los 30 días del alta y al terminar el curso.",
    ),
)
