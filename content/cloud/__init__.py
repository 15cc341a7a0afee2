"""Cloud folders (Google Drive, Dropbox) as sources of lessons: one small class per
service, with two verbs: `changes` (the files added since a change marker) and `download`."""

from dataclasses import dataclass

from django.utils.module_loading import import_string

SOURCES = {
    "drive": "content.cloud.drive.DriveFolders",
    "dropbox": "content.cloud.dropbox_folders.DropboxFolders",
}


@dataclass(frozen=True)
class CloudFile:
    file_id: str
    name: str
    size: int = 0


class CloudError(Exception):
    """A call to the service failed. `permanent`: retrying will not help (bad credentials,
    a folder that does not exist). `reset`: the change marker expired; list it all again."""

    def __init__(self, message, *, permanent=False, reset=False):
        super().__init__(message)
        self.permanent = permanent
        self.reset = reset


def get_source(provider):
    return import_string(SOURCES[provider])()
