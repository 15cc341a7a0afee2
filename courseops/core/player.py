"""The portal's one video player, for lessons (content) and webinar recordings (webinars):
what it plays (a YouTube or Vimeo embed, or a stored video served with ranges or by a
signed URL), its chapters, and the Content-Security-Policy its page needs. The page part is
`templates/portal/player.html` with `static/courseops/player.js`.

Only watch addresses we can turn into an embed are accepted (`embed_for`); anything else
is no player rather than a frame of an arbitrary site."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

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


def viewer_key(student_id):
    """What the player keeps a student's watched stretches under in the browser, so two
    students on one browser do not add to each other's; not their id itself, which the
    next person at that browser could read."""
    return salted_hmac("courseops.player.viewer", str(student_id)).hexdigest()[:16]


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


def embed_player(url):
    """The embed player of a YouTube or Vimeo watch address, else None."""
    embed = embed_for(url)
    if embed is None:
        return None
    provider, src = embed
    return Player("embed", src, provider=provider, frame_origins=[EMBED_ORIGINS[provider]])


def stored_video_url(storage, name):
    """The address the browser fetches a stored video from: None when the storage is
    on this machine (our view serves it, with ranges), else the storage's own URL, which
    for an S3 bucket is signed and expires (django-storages' querystring auth)."""
    try:
        storage.path(name)
    except NotImplementedError:
        return storage.url(name)
    return None


def stored_player(storage, name, *, local_url):
    """The player of a stored video: our `local_url` (served with ranges) for storage on
    this machine, else the bucket's signed URL, its origin let into media-src."""
    remote = stored_video_url(storage, name)
    if remote:
        parts = urlsplit(remote)
        # 'self' stays: the captions track is ours, and media-src governs it too.
        origins = ["'self'", f"{parts.scheme}://{parts.netloc}"]
        return Player("video", remote, media_origins=origins)
    return Player("video", local_url)


def chapters(points, *, text="point"):
    """Chapters of the player: the timed items (`seconds` and a `text` key), in time order."""
    points = sorted(
        (
            p
            for p in points
            if isinstance(p, dict) and isinstance(p.get("seconds"), int | float) and p.get(text)
        ),
        key=lambda p: p["seconds"],
    )
    return [
        {
            "seconds": int(p["seconds"]),
            "stamp": transcripts.stamp(p["seconds"]),
            "title": p[text],
        }
        for p in points
    ]


def allow_player(request, response, player):
    """Let into the page's Content-Security-Policy only the origins its player needs."""
    origins = {
        "frame-src": player and player.frame_origins,
        "media-src": player and player.media_origins,
    }
    origins = {directive: values for directive, values in origins.items() if values}
    if not origins:
        return response
    # The decorator's way of saying it, applied to a response already made.
    return csp_update(origins)(lambda _request: response)(request)


def playback_report(data):
    """(position in seconds, watched %) of what the player reports, in whole units; raises
    ValueError with what to tell the browser when the report is missing or out of range."""
    try:
        position = int(float(data["position"]))
        watched = int(float(data["watched"]))
    except (KeyError, ValueError, OverflowError):
        raise ValueError(_("Faltan la posición o el porcentaje visto.")) from None
    if position < 0 or not 0 <= watched <= 100:
        raise ValueError(_("Posición o porcentaje fuera de rango."))
    return position, watched
