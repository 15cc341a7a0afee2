"""Zoom through its REST API with a Server-to-Server OAuth app.

The account token lives an hour and has no refresh token: it is cached until a minute
before it expires and then requested again. Meetings are created with registration on
(approval automatic) so every registrant gets a personal `join_url`.
"""

import base64
from datetime import UTC

from django.conf import settings
from django.core.cache import cache

from courseops.core import http
from webinars.meetings import Meeting, MeetingError

TOKEN_CACHE_KEY = "webinars:zoom:token"
TOKEN_MARGIN_SECONDS = 60
DOWNLOAD_CHUNK_BYTES = 1024 * 1024


def _raise_for(response, action):
    if response.is_success:
        return
    transient = response.status_code == 429 or response.status_code >= 500
    raise MeetingError(
        f"Zoom {action} failed: HTTP {response.status_code} {response.text[:300]}",
        permanent=not transient,
    )


class ZoomProvider:
    name = "zoom"
    label = "Zoom"

    def __init__(self):
        self.api = settings.ZOOM_API_BASE_URL.rstrip("/")
        self.oauth_url = settings.ZOOM_OAUTH_URL
        self.timeout = settings.ZOOM_TIMEOUT_SECONDS

    def _token(self):
        token = cache.get(TOKEN_CACHE_KEY)
        if token:
            return token
        account, client, secret = (
            settings.ZOOM_ACCOUNT_ID,
            settings.ZOOM_CLIENT_ID,
            settings.ZOOM_CLIENT_SECRET,
        )
        if not (account and client and secret):
            raise MeetingError("Zoom credentials are not configured.", permanent=True)
        basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
        response = self._send(
            "POST",
            self.oauth_url,
            "token",
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "account_credentials", "account_id": account},
        )
        payload = response.json()
        token = payload["access_token"]
        ttl = int(payload.get("expires_in", 3600)) - TOKEN_MARGIN_SECONDS
        if ttl > 0:
            cache.set(TOKEN_CACHE_KEY, token, ttl)
        return token

    def _send(self, method, url, action, **kwargs):
        try:
            response = http.request(method, url, timeout=self.timeout, **kwargs)
        except http.HTTPError as exc:
            raise MeetingError(f"Zoom {action} unreachable: {exc}", permanent=False) from exc
        if response.status_code == 401 and action != "token":
            cache.delete(TOKEN_CACHE_KEY)  # revoked or rotated: the next call gets a new one
        _raise_for(response, action)
        return response

    def _api(self, method, path, action, json=None):
        headers = {"Authorization": f"Bearer {self._token()}"}
        return self._send(method, f"{self.api}{path}", action, headers=headers, json=json)

    def _times(self, webinar):
        return {
            "start_time": webinar.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": webinar.duration_minutes,
            "timezone": webinar.time_zone,
        }

    def create(self, webinar):
        body = {
            "topic": webinar.title[:200],
            "type": 2,
            "agenda": webinar.description[:2000],
            **self._times(webinar),
            "settings": {
                "approval_type": 0,
                "registration_type": 1,
                "registrants_email_notification": False,
                "auto_recording": "cloud",
                "waiting_room": False,
            },
        }
        data = self._api("POST", "/users/me/meetings", "create meeting", json=body).json()
        return Meeting(url=data["join_url"], external_id=str(data["id"]))

    def update(self, webinar):
        path = f"/meetings/{webinar.meeting_external_id}"
        self._api("PATCH", path, "update meeting", json=self._times(webinar))

    def delete(self, webinar):
        try:
            self._api("DELETE", f"/meetings/{webinar.meeting_external_id}", "delete meeting")
        except MeetingError as exc:
            if "HTTP 404" not in str(exc):  # already gone is what we wanted
                raise

    def register(self, webinar, registration):
        first, _, last = (registration.name or registration.email.split("@")[0]).partition(" ")
        body = {
            "email": registration.email,
            "first_name": first[:64] or "-",
            "last_name": last[:64],
        }
        data = self._api(
            "POST",
            f"/meetings/{webinar.meeting_external_id}/registrants",
            "add registrant",
            json=body,
        ).json()
        return data["join_url"]

    # --- After the meeting: the reconciliation and the recording download ---------------

    def _get(self, path, action, params=None):
        headers = {"Authorization": f"Bearer {self._token()}"}
        return self._send("GET", f"{self.api}{path}", action, headers=headers, params=params).json()

    def participants(self, meeting_id):
        """Every row of the meeting's participants report (one per join/leave pair)."""
        rows, token = [], ""
        while True:
            params = {"page_size": 300, **({"next_page_token": token} if token else {})}
            page = self._get(
                f"/report/meetings/{meeting_id}/participants", "participants report", params
            )
            rows += page.get("participants", [])
            token = page.get("next_page_token") or ""
            if not token:
                return rows

    def recordings(self, meeting_id):
        """The meeting's cloud recording, with a `download_access_token` for its files;
        None when there is none (yet)."""
        try:
            return self._get(
                f"/meetings/{meeting_id}/recordings",
                "recordings",
                {"include_fields": "download_access_token"},
            )
        except MeetingError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise

    def download(self, url, target, *, token, max_bytes):
        """Stream a recording file to the path `target` in chunks (a video can be
        gigabytes); Zoom answers with a redirect to its storage. Returns the bytes written;
        stops as soon as the file passes `max_bytes`."""
        headers = {"Authorization": f"Bearer {token or self._token()}"}
        written = 0
        try:
            with (
                http.stream(
                    "GET", url, headers=headers, timeout=self.timeout, follow_redirects=True
                ) as response,
                open(target, "wb") as out,
            ):
                if not response.is_success:
                    response.read()  # the error text, for the message
                _raise_for(response, "download")
                for chunk in http.iter_capped(response, max_bytes, DOWNLOAD_CHUNK_BYTES):
                    written += len(chunk)
                    out.write(chunk)
        except http.ResponseTooLarge as exc:
            raise MeetingError(f"Zoom file larger than {max_bytes} bytes.", permanent=True) from exc
        except http.HTTPError as exc:
            raise MeetingError(f"Zoom download unreachable: {exc}", permanent=False) from exc
        return written
