from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="messaging.sweep_outbox",
        task="messaging.sweep_outbox",
        every=timedelta(seconds=60),
        description="Envía los mensajes programados y los reintentos vencidos; "
        "marca como interrumpidos los envíos que quedaron a medias y pregunta al proveedor "
        "si los recibió.",
    )
)
