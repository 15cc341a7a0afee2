from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="operations.evaluate_alerts",
        task="operations.evaluate_alerts",
        every=timedelta(seconds=60),
        description="Abre o resuelve incidencias según las comprobaciones de alertas "
        "y avisa al equipo (correo y Slack) una vez por incidencia.",
    )
)
