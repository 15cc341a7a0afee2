"""What the lesson player plays: the embed of YouTube or Vimeo where the lesson is
published there, else the lesson's video from content storage (served by us with range
requests from the local media folder, or a signed, expiring URL of the S3-compatible bucket).
The player itself is the portal's one (`courseops.core.player`)."""

from django.urls import reverse

from content.storage import content_storage
from courseops.core.player import embed_player, stored_player


def player_for(lesson):
    """The lesson's player, or None when it has no video to show."""
    embed = embed_player(lesson.watch_url)
    if embed:
        return embed
    if not lesson.video:
        return None
    return stored_player(
        content_storage(),
        lesson.video.name,
        local_url=reverse("content_portal:video", args=[lesson.pk]),
    )
