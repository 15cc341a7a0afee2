"""Dropbox: a folder listed once with `files/list_folder`, then only what changed with
`files/list_folder/continue` and the saved cursor.
https://developers.dropbox.com/detecting-changes-guide"""

import dropbox
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from dropbox import exceptions, files

from content.cloud import CloudError, CloudFile

CHUNK_BYTES = 1024 * 1024


class DropboxFolders:
    name = "dropbox"
    label = "Dropbox"

    def __init__(self):
        if not (
            settings.DROPBOX_APP_KEY
            and settings.DROPBOX_APP_SECRET
            and settings.DROPBOX_REFRESH_TOKEN
        ):
            raise ImproperlyConfigured("DROPBOX_APP_KEY, DROPBOX_APP_SECRET, DROPBOX_REFRESH_TOKEN")
        self.api = dropbox.Dropbox(
            oauth2_refresh_token=settings.DROPBOX_REFRESH_TOKEN,
            app_key=settings.DROPBOX_APP_KEY,
            app_secret=settings.DROPBOX_APP_SECRET,
            timeout=settings.DROPBOX_TIMEOUT_SECONDS,
            max_retries_on_error=2,
            max_retries_on_rate_limit=2,
        )

    def changes(self, *, folder, cursor):
        try:
            if cursor:
                answer = self.api.files_list_folder_continue(cursor)
            else:
                answer = self.api.files_list_folder(folder, recursive=False)
            found = list(answer.entries)
            while answer.has_more:
                answer = self.api.files_list_folder_continue(answer.cursor)
                found += answer.entries
        except exceptions.ApiError as exc:
            error = exc.error
            reset = isinstance(error, files.ListFolderContinueError) and error.is_reset()
            raise CloudError(
                _("Dropbox no pudo listar la carpeta: %(error)s") % {"error": error},
                permanent=not reset,
                reset=reset,
            ) from exc
        except exceptions.AuthError as exc:
            raise CloudError(
                _("Dropbox rechazó las credenciales: %(error)s") % {"error": exc.error},
                permanent=True,
            ) from exc
        except (exceptions.DropboxException, OSError) as exc:
            raise CloudError(_("Dropbox no responde: %(error)s") % {"error": exc}) from exc
        return [
            CloudFile(file_id=entry.id, name=entry.name, size=entry.size)
            for entry in found
            if isinstance(entry, files.FileMetadata)
        ], answer.cursor

    def download(self, *, file_id, out):
        try:
            _metadata, response = self.api.files_download(file_id)
            with response:
                for chunk in response.iter_content(CHUNK_BYTES):
                    out.write(chunk)
        except exceptions.ApiError as exc:
            raise CloudError(
                _("Dropbox no entrega el archivo: %(error)s") % {"error": exc.error}, permanent=True
            ) from exc
        except (exceptions.DropboxException, OSError) as exc:
            raise CloudError(_("Dropbox no responde: %(error)s") % {"error": exc}) from exc
