from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="core.heartbeat",
        task="core.heartbeat",
        every=timedelta(seconds=60),
        description="Proves to /health/ that a worker consumes the queue.",
    ),
    Periodic(
        name="core.purge_idempotency_keys",
        task="core.purge_idempotency_keys",
        every=timedelta(hours=1),
        description="Borra las Idempotency-Key de la API con más de 24 horas "
        "(API_IDEMPOTENCY_TTL_HOURS).",
    ),
    Periodic(
        name="core.forget_stale_holders",
        task="core.forget_stale_holders",
        crontab={"minute": "17", "hour": "3"},
        description="Borra los latidos de procesos que terminaron hace más de un día.",
    ),
)
