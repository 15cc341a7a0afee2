"""The default: publishes nothing, logs what would be uploaded (development, demos)."""

from courseops.core.logging import get_logger
from webinars.publishing import PublishedVideo

logger = get_logger(__name__)


class ConsolePublisher:
    name = "console"
    label = "Consola (no publica)"

    def publish(self, recording, *, title, description):
        logger.info(
            "webinars.video.console_publish",
            recording=recording.pk,
            file=recording.file.name,
            title=title,
            description_chars=len(description),
        )
        return PublishedVideo(url=recording.watch_url, external_id=f"console-{recording.pk}")
