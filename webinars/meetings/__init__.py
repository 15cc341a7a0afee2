"""Meeting-link providers: a small class per vendor in a registry, imported on first use.

Each provider has `name`, `label` and the verbs the webinar services call:
`create(webinar) -> Meeting`, `update(webinar)`, `delete(webinar)` and
`register(webinar, registration) -> str` (a personal join URL, or "" for the shared one).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

PROVIDERS = {
    "jitsi": "webinars.meetings.jitsi.JitsiProvider",
    "zoom": "webinars.meetings.zoom.ZoomProvider",
}


class MeetingError(Exception):
    """A vendor call failed; `permanent` says a retry cannot help (bad credentials, 4xx)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Meeting:
    url: str
    external_id: str = ""


def get_provider(name=None):
    name = name or settings.WEBINAR_MEETING_PROVIDER
    try:
        path = PROVIDERS[name]
    except KeyError:
        raise MeetingError(f"Unknown meeting provider {name!r}.", permanent=True) from None
    return import_string(path)()
