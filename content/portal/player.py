"""What the lesson player plays: the embed of YouTube or Vimeo where the lesson is
published there, else the lesson's video from content storage (served by us with range
requests from the local media folder, or a signed, expiring URL of the S3-compatible bucket).

Only watch addresses we can turn into an embed are accepted (`embed_for`); anything else
is no player rather than a frame of an arbitrary site."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import reverse

from content.storage import content_storage
from courseops.ai import transcripts

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^\d{1,12}$")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
# The origins each embed needs in the page's frame-src.
EMBED_ORIGINS = {
    "youtube": "https://www.youtube-nocookie.com",
    "vimeo": "https://player.vimeo.com",
}


@dataclass(frozen=True)
class Player:
    kind: str  # "video" or "embed"
    src: str
    provider: str = ""
    # Origins the page's Content-Security-Policy must allow for this source.
    frame_origins: list = field(default_factory=list)
    media_origins: list = field(default_factory=list)


def embed_for(url):
    """(provider, embed URL) of a YouTube or Vimeo watch address, else None."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and host:
        return None
    if host in YOUTUBE_HOSTS:
        if host == "youtu.be":
            video_id = parts.path.strip("/")
        elif parts.path.startswith(("/embed/", "/shorts/", "/live/")):
            video_id = parts.path.split("/")[2]
        else:
            query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
            video_id = query.get("v", "")
        if YOUTUBE_ID.match(video_id):
            return "youtube", f"{EMBED_ORIGINS['youtube']}/embed/{video_id}"
    if host in VIMEO_HOSTS:
        video_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if VIMEO_ID.match(video_id):
            return "vimeo", f"{EMBED_ORIGINS['vimeo']}/video/{video_id}"
    return None


def stored_video_url(name):
    """The address the browser fetches a stored video from: None when the storage is
    on this machine (our view serves it, with ranges), else the storage's own URL, which
    for an S3 bucket is signed and expires (django-storages' querystring auth)."""
    storage = content_storage()
    try:
        storage.path(name)
    except NotImplementedError:
        return storage.url(name)
    return None


def player_for(lesson):
    """The lesson's player, or None when it has no video to show."""
    embed = embed_for(lesson.watch_url)
    if embed:
        provider, src = embed
        return Player("embed", src, provider=provider, frame_origins=[EMBED_ORIGINS[provider]])
    if not lesson.video:
        return None
    remote = stored_video_url(lesson.video.name)
    if remote:
        parts = urlsplit(remote)
        # 'self' stays: the captions track is ours, and media-src governs it too.
        origins = ["'self'", f"{parts.scheme}://{parts.netloc}"]
        return Player("video", remote, media_origins=origins)
    return Player("video", reverse("content_portal:video", args=[lesson.pk]))


def chapters(key_points):
    """Chapters of the player: the key points with their time, in time order."""
    points = sorted(
        (p for p in key_points if isinstance(p.get("seconds"), int | float)),
        key=lambda p: p["seconds"],
    )
    return [
        {
            "seconds": int(p["seconds"]),
            "stamp": transcripts.stamp(p["seconds"]),
            "title": p["point"],
        }
        for p in points
    ]
