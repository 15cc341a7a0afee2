from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="engagement.scan_nudges",
        task="engagement.scan_nudges",
        crontab={"minute": "0"},  # hourly: a day's backlog drains in bins of SCAN_LIMIT
        description="Busca estudiantes inactivos o con hitos y redacta sus avisos (una vez).",
    ),
)

declare(
    Periodic(
        name="engagement.score_risk",
        task="engagement.score_risk",
        crontab={"minute": "30", "hour": "12"},  # 06:30 in Mexico City, before staff arrive
        description="Calcula el riesgo de abandono y sugiere intervenciones para los altos.",
    ),
)

declare(
    Periodic(
        name="engagement.weekly_report",
        task="engagement.weekly_report",
        crontab={"minute": "0", "hour": "13", "day_of_week": "1"},  # Monday 07:00 Mexico City
        description="Informe semanal de seguimiento (PDF) al equipo, una vez por semana.",
    ),
)

declare(
    Periodic(
        name="engagement.weekly_progress_emails",
        task="engagement.weekly_progress_emails",
        crontab={"minute": "30", "hour": "14", "day_of_week": "1"},
        description="Resumen semanal de progreso a los estudiantes que lo pidieron.",
    ),
)

declare(
    Periodic(
        name="engagement.scan_drip",
        task="engagement.scan_drip",
        # Each message is due at 10:00 in its student's zone: a quarter-hour scan sends it
        # within 15 minutes of that in every zone (some are on the half hour).
        crontab={"minute": "*/15"},
        description="Bienvenida por etapas: redacta los mensajes de los días 1, 3 y 7 (una vez).",
    ),
    Periodic(
        name="engagement.enqueue_owed_work",
        task="engagement.enqueue_owed_work",
        every=timedelta(minutes=5),
        description="Vuelve a encolar las correcciones de tareas y las respuestas a preguntas "
        "cuya tarea se perdió.",
    ),
)
