"""Vimeo through its official SDK (PyVimeo) and its resumable tus upload.

Step 1 creates the video with its title, description and privacy and asks for a tus
upload (`POST /me/videos`, approach "tus"); step 2 sends the bytes to the `upload_link`
with the tus client PyVimeo itself uses. The two steps are done here rather than with the
SDK's `upload(path)`, which needs a local path and keeps the created video's URI to itself:
a recording may live in remote storage (streamed here), and an upload that fails after
step 1 deletes the empty video it made, so the retry after it leaves one video on the
account, not two.
"""

from urllib.parse import urlsplit

import requests
import vimeo
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from courseops.core.logging import get_logger
from webinars.publishing import PublishedVideo, PublishError, has_video_file

logger = get_logger(__name__)

CHUNK_BYTES = 128 * 1024 * 1024
TUS_RETRIES = 2
TUS_RETRY_DELAY_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 10


def _raise_for(response, action):
    if response.status_code < 400:
        return
    transient = response.status_code == 429 or response.status_code >= 500
    raise PublishError(
        _("Vimeo falló (%(action)s): HTTP %(status)s %(detail)s")
        % {"action": action, "status": response.status_code, "detail": response.text[:300]},
        permanent=not transient,
    )


class VimeoPublisher:
    name = "vimeo"
    label = "Vimeo"

    def __init__(self):
        self.client = vimeo.VimeoClient(token=settings.VIMEO_ACCESS_TOKEN)
        self.client.API_ROOT = settings.VIMEO_API_URL
        self.timeout = (CONNECT_TIMEOUT_SECONDS, settings.VIMEO_TIMEOUT_SECONDS)

    def _call(self, method, path, action, **kwargs):
        try:
            response = getattr(self.client, method)(path, timeout=self.timeout, **kwargs)
        except vimeo.exceptions.APIRateLimitExceededFailure as exc:
            raise PublishError(
                _("Vimeo (%(action)s): demasiadas peticiones, se reintentará más tarde.")
                % {"action": action}
            ) from exc
        except requests.RequestException as exc:
            raise PublishError(
                _("Vimeo no responde (%(action)s): %(error)s") % {"action": action, "error": exc}
            ) from exc
        _raise_for(response, action)
        return response

    def publish(self, recording, *, title, description):
        if not settings.VIMEO_ACCESS_TOKEN:
            raise PublishError(_("Falta el token de acceso de Vimeo."), permanent=True)
        if not has_video_file(recording):
            raise PublishError(_("La grabación no tiene un vídeo que subir."), permanent=True)
        video = self._call(
            "post",
            "/me/videos",
            _lazy("inicio de la subida"),
            data={
                "upload": {"approach": "tus", "size": recording.file.size},
                "name": title[:128],
                "description": description[:5000],
                "privacy": {"view": settings.VIMEO_PRIVACY_VIEW},
                "locale": recording.webinar.language,
            },
            params={"fields": "uri,link,upload"},
        ).json()
        upload_link = (video.get("upload") or {}).get("upload_link")
        if not (video.get("uri") and upload_link):
            raise PublishError(_("Vimeo no devolvió el enlace de subida."))
        try:
            self._send_bytes(recording, upload_link)
        except (TusCommunicationError, TusUploadFailed, requests.RequestException) as exc:
            self._discard(video["uri"])
            raise PublishError(_("La subida a Vimeo falló: %(error)s") % {"error": exc}) from exc
        video_id = video["uri"].rstrip("/").rsplit("/", 1)[-1]
        return PublishedVideo(
            url=video.get("link") or f"https://vimeo.com/{video_id}", external_id=video_id
        )

    def _send_bytes(self, recording, upload_link):
        parts = urlsplit(upload_link)
        with recording.file.open("rb") as fh:  # streamed in chunks, not read into memory
            uploader = TusClient(f"{parts.scheme}://{parts.netloc}").uploader(
                file_stream=fh,
                url=upload_link,
                chunk_size=CHUNK_BYTES,
                retries=TUS_RETRIES,
                retry_delay=TUS_RETRY_DELAY_SECONDS,
            )
            uploader.upload()

    def _discard(self, uri):
        """Delete the video step 1 made, so the next try does not leave a second one."""
        try:
            self._call("delete", uri, _lazy("borrado del vídeo a medias"))
        except PublishError as exc:
            logger.warning("webinars.vimeo.discard_failed", uri=uri, error=str(exc))
