"""Where a webinar's recording is published as a video: a small class per destination.

Each publisher has `name`, `label` and `publish(recording, *, title, description) ->
PublishedVideo`. `console` (the default) uploads nothing and logs what it would send;
`youtube` uploads through the YouTube Data API v3 (resumable upload, OAuth refresh token);
`vimeo` through Vimeo's SDK (tus upload, personal access token).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

PUBLISHERS = {
    "console": "webinars.publishing.console.ConsolePublisher",
    "youtube": "webinars.publishing.youtube.YouTubePublisher",
    "vimeo": "webinars.publishing.vimeo.VimeoPublisher",
}
VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")


class PublishError(Exception):
    """The upload failed; `permanent` says a retry cannot help (credentials, no video)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class PublishedVideo:
    url: str
    external_id: str


def has_video_file(recording):
    return bool(recording.file) and recording.file.name.lower().endswith(VIDEO_EXTENSIONS)


def get_publisher(name=None):
    name = name or settings.WEBINAR_VIDEO_PUBLISHER
    try:
        return import_string(PUBLISHERS[name])()
    except KeyError:
        raise PublishError(
            _("Publicador de vídeo desconocido: «%(name)s».") % {"name": name}, permanent=True
        ) from None
