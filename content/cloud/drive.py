"""Google Drive: a folder's files listed once, then only its changes, through the changes
feed (a start page token saved before the first listing, so nothing added meanwhile is
missed). https://developers.google.com/workspace/drive/api/guides/manage-changes"""

import httplib2
from django.utils.translation import gettext as _
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from content.cloud import CloudError, CloudFile
from courseops.core import google

SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]
FOLDER_MIME = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,mimeType,size,parents,trashed"
CHUNK_BYTES = 8 * 1024 * 1024
ERRORS = (HttpError, RefreshError, TransportError, httplib2.HttpLib2Error, OSError)


def _file(item):
    return CloudFile(file_id=item["id"], name=item["name"], size=int(item.get("size") or 0))


def _wanted(item, folder_id):
    return (
        item.get("mimeType") != FOLDER_MIME
        and not item.get("trashed")
        and folder_id in (item.get("parents") or [])
    )


class DriveFolders:
    name = "drive"
    label = "Google Drive"

    def __init__(self):
        self.api = google.service("drive", "v3", scopes=SCOPES)

    def changes(self, *, folder, cursor):
        """The folder's files new since `cursor` (all of them when it is empty) and the
        token to start from next time."""
        try:
            if cursor:
                return self._changes(folder, cursor)
            return self._listing(folder)
        except ERRORS as exc:
            raise _error(exc, cursor) from exc

    def _listing(self, folder):
        start = self.api.changes().getStartPageToken().execute()["startPageToken"]
        files, page = [], None
        while True:
            answer = (
                self.api.files()
                .list(
                    q=f"'{folder}' in parents and trashed = false",
                    fields=f"nextPageToken,files({FILE_FIELDS})",
                    pageSize=1000,
                    pageToken=page,
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
                .execute()
            )
            files += [_file(item) for item in answer.get("files", []) if _wanted(item, folder)]
            page = answer.get("nextPageToken")
            if not page:
                return files, start

    def _changes(self, folder, cursor):
        files, page = [], cursor
        while True:
            answer = (
                self.api.changes()
                .list(
                    pageToken=page,
                    fields=f"nextPageToken,newStartPageToken,changes(removed,file({FILE_FIELDS}))",
                    pageSize=1000,
                    includeRemoved=False,
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
                .execute()
            )
            for change in answer.get("changes", []):
                item = change.get("file")
                if item and not change.get("removed") and _wanted(item, folder):
                    files.append(_file(item))
            if answer.get("newStartPageToken"):
                return files, answer["newStartPageToken"]
            page = answer["nextPageToken"]

    def download(self, *, file_id, out):
        from googleapiclient.http import MediaIoBaseDownload

        request = self.api.files().get_media(fileId=file_id, supportsAllDrives=True)
        downloader = MediaIoBaseDownload(out, request, chunksize=CHUNK_BYTES)
        try:
            done = False
            while not done:
                _status, done = downloader.next_chunk(num_retries=2)
        except ERRORS as exc:
            raise _error(exc, None) from exc


def _error(exc, cursor):
    status = google.error_status(exc)
    if isinstance(exc, RefreshError):
        return CloudError(
            _("Google rechazó las credenciales: %(error)s") % {"error": exc}, permanent=True
        )
    # An expired or unknown page token: Drive answers 400/404/410 to it.
    reset = bool(cursor) and status in (400, 404, 410)
    return CloudError(
        _("Google Drive respondió %(status)s: %(error)s") % {"status": status or "-", "error": exc},
        permanent=google.is_permanent(exc) and not reset,
        reset=reset,
    )
