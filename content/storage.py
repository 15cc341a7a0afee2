"""Where lesson media lives (videos, subtitles, audio parts, PDFs): the `content` storage
alias, the site's media folder by default or an S3-compatible bucket (CONTENT_S3_BUCKET).
Code reaches it through Django's storage API only, so both behave the same."""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class ContentStorage(LazyObject):
    """`storages["content"]`, looked up on first use (file fields keep this proxy, so a
    changed STORAGES setting reaches them too, like Django's `default_storage`)."""

    def _setup(self):
        self._wrapped = storages["content"]


content_media = ContentStorage()


def content_storage():
    return content_media


@receiver(setting_changed)
def _forget_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        content_media._wrapped = empty
