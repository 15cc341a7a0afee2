from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="students.sweep_onboarding",
        task="students.sweep_onboarding",
        every=timedelta(minutes=5),
        description="Resumes onboarding pipelines a lost task or a failed step left behind.",
    ),
    Periodic(
        name="students.sync_due_lms_access",
        task="students.sync_due_lms_access",
        every=timedelta(minutes=5),
        description="Hace que el LMS siga los cambios de acceso cuya tarea se perdió o falló.",
    ),
    Periodic(
        name="students.grant_due_plans",
        task="students.grant_due_plans",
        every=timedelta(minutes=5),
        description="Concede el plan nuevo a quienes cambiaron de plan y su tarea se perdió.",
    ),
    Periodic(
        name="students.enqueue_due_requests",
        task="students.enqueue_due_requests",
        every=timedelta(minutes=5),
        description="Vuelve a encolar lo que pidió el equipo (reenviar la bienvenida, "
        "reintentar un paso del alta) cuya tarea se perdió.",
    ),
)
