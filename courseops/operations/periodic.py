from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="operations.evaluate_alerts",
        task="operations.evaluate_alerts",
        every=timedelta(seconds=60),
        description="Abre o resuelve incidencias según las comprobaciones de alertas "
        "y avisa al equipo (correo y Slack) una vez por incidencia.",
    ),
    Periodic(
        name="operations.notify_due_incidents",
        task="operations.notify_due_incidents",
        every=timedelta(minutes=5),
        description="Envía los avisos de incidencias (alerta o resolución) cuya tarea se perdió.",
    ),
    Periodic(
        name="operations.refresh_kpis",
        task="operations.refresh_kpis",
        every=timedelta(minutes=5),
        description="Recalcula las cifras del panel de indicadores (7, 30, 90 y 365 días) "
        "y las guarda en la caché: el panel se abre sin calcularlas.",
    ),
    Periodic(
        name="operations.backup",
        task="operations.backup",
        crontab={"minute": "30", "hour": "3"},
        description="Copia de seguridad cifrada (base de datos y archivos) en BACKUP_DIR; "
        "conserva las BACKUP_KEEP más recientes.",
    ),
    Periodic(
        name="operations.apply_retention",
        task="operations.apply_retention",
        crontab={"minute": "15", "hour": "4"},
        description="Borra los datos personales que cumplieron su plazo de conservación "
        "(RETENTION_*_DAYS): cuerpos de webhooks y de mensajes, contactos inactivos.",
    ),
)
