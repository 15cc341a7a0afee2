"""YouTube Data API v3: `videos.insert` with the resumable upload protocol.

The channel owner authorises once (scope `youtube.upload`, offline access); the refresh
token in settings buys an access token per upload (cached until shortly before it
expires). Step 1 POSTs the video resource and gets the session URI in `Location`; step 2
PUTs the bytes there and gets the video resource back.
"""

import mimetypes

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from courseops.core import http
from webinars.publishing import PublishedVideo, PublishError, has_video_file

TOKEN_CACHE_KEY = "webinars:youtube:token"
TOKEN_MARGIN_SECONDS = 60
EDUCATION_CATEGORY = "27"


def _raise_for(response, action):
    if response.is_success:
        return
    transient = response.status_code == 429 or response.status_code >= 500
    raise PublishError(
        _("YouTube falló (%(action)s): HTTP %(status)s %(detail)s")
        % {"action": action, "status": response.status_code, "detail": response.text[:300]},
        permanent=not transient,
    )


class YouTubePublisher:
    name = "youtube"
    label = "YouTube"

    def __init__(self):
        self.timeout = settings.YOUTUBE_TIMEOUT_SECONDS

    def _send(self, method, url, action, **kwargs):
        try:
            response = http.request(method, url, timeout=self.timeout, **kwargs)
        except http.HTTPError as exc:
            raise PublishError(
                _("YouTube no responde (%(action)s): %(error)s") % {"action": action, "error": exc}
            ) from exc
        if response.status_code == 401:
            cache.delete(TOKEN_CACHE_KEY)
        _raise_for(response, action)
        return response

    def _token(self):
        token = cache.get(TOKEN_CACHE_KEY)
        if token:
            return token
        client, secret, refresh = (
            settings.YOUTUBE_CLIENT_ID,
            settings.YOUTUBE_CLIENT_SECRET,
            settings.YOUTUBE_REFRESH_TOKEN,
        )
        if not (client and secret and refresh):
            raise PublishError(_("Faltan las credenciales de YouTube."), permanent=True)
        payload = self._send(
            "POST",
            settings.YOUTUBE_OAUTH_URL,
            _lazy("renovación del token"),
            data={
                "client_id": client,
                "client_secret": secret,
                "refresh_token": refresh,
                "grant_type": "refresh_token",
            },
        ).json()
        token = payload["access_token"]
        ttl = int(payload.get("expires_in", 3600)) - TOKEN_MARGIN_SECONDS
        if ttl > 0:
            cache.set(TOKEN_CACHE_KEY, token, ttl)
        return token

    def publish(self, recording, *, title, description):
        if not has_video_file(recording):
            raise PublishError(_("La grabación no tiene un vídeo que subir."), permanent=True)
        content_type = mimetypes.guess_type(recording.file.name)[0] or "application/octet-stream"
        webinar = recording.webinar
        resource = {
            "snippet": {
                "title": title[:100],
                "description": description[:5000],
                "categoryId": EDUCATION_CATEGORY,
                "defaultLanguage": webinar.language,
                "defaultAudioLanguage": webinar.language,
            },
            "status": {
                "privacyStatus": settings.YOUTUBE_PRIVACY_STATUS,
                "selfDeclaredMadeForKids": False,
                "containsSyntheticMedia": False,
            },
        }
        headers = {"Authorization": f"Bearer {self._token()}"}
        session = self._send(
            "POST",
            settings.YOUTUBE_UPLOAD_URL,
            _lazy("inicio de la subida"),
            params={"uploadType": "resumable", "part": "snippet,status"},
            headers={
                **headers,
                "X-Upload-Content-Length": str(recording.file.size),
                "X-Upload-Content-Type": content_type,
            },
            json=resource,
        ).headers.get("Location")
        if not session:
            raise PublishError(_("YouTube no devolvió la sesión de subida."))
        with recording.file.open("rb") as fh:  # streamed, not read into memory
            video = self._send(
                "PUT",
                session,
                _lazy("subida"),
                headers={
                    **headers,
                    "Content-Type": content_type,
                    "Content-Length": str(recording.file.size),
                },
                content=fh,
            ).json()
        return PublishedVideo(
            url=f"https://www.youtube.com/watch?v={video['id']}", external_id=video["id"]
        )
