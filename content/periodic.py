from datetime import timedelta

from courseops.core.schedules import Periodic, declare

declare(
    Periodic(
        name="content.sweep_jobs",
        task="content.sweep_jobs",
        every=timedelta(minutes=5),
        description="Reanuda los trabajos de contenido atascados o con un fallo pasajero.",
    ),
    Periodic(
        name="content.rebuild_stale_pdfs",
        task="content.rebuild_stale_pdfs",
        every=timedelta(minutes=5),
        description="Rehace los PDF de lecciones pendientes cuya tarea se perdió.",
    ),
    Periodic(
        name="content.announce_lessons",
        task="content.announce_lessons",
        every=timedelta(minutes=5),
        description="Avisa por email a los alumnos de las lecciones publicadas (resumen diario).",
    ),
    Periodic(
        name="content.scan_folder",
        task="content.scan_folder",
        every=timedelta(minutes=5),
        description="Crea lecciones con los archivos nuevos de CONTENT_WATCH_DIR (si está puesta).",
    ),
    Periodic(
        name="content.scan_cloud_folders",
        task="content.scan_cloud_folders",
        every=timedelta(minutes=5),
        description="Crea lecciones con los vídeos nuevos de las carpetas de Drive y Dropbox.",
    ),
)
