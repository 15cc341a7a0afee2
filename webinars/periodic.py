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
    Periodic(
        name="webinars.reconcile_zoom",
        task="webinars.reconcile_zoom",
        every=timedelta(hours=1),
        description="Trae de la API de Zoom participantes y grabaciones de webinars terminados "
        "(por si Zoom dejó de enviar webhooks).",
    ),
    Periodic(
        name="webinars.settle_attendance",
        task="webinars.settle_attendance",
        every=timedelta(minutes=15),
        description="Cierra la asistencia de los webinars terminados y avisa de los ausentes.",
    ),
    Periodic(
        name="webinars.sync_google_calendar",
        task="webinars.sync_google_calendar",
        every=timedelta(minutes=5),
        description="Sincroniza los webinars con Google Calendar y renueva su canal de avisos.",
    ),
    Periodic(
        name="webinars.enqueue_owed_work",
        task="webinars.enqueue_owed_work",
        every=timedelta(minutes=5),
        description="Vuelve a encolar confirmaciones, borradores de IA y grabaciones por "
        "procesar cuya tarea se perdió.",
    ),
)
