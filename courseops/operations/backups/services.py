"""`backup` writes one encrypted file holding the database dump, the media files and a
manifest (row counts per table, to check a restore against); `restore` puts it back."""

import json
import shutil
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections

from courseops.audit.services import log_action
from courseops.operations.backups import crypto, database

SUFFIX = ".cobackup"
PREFIX = "courseops-"


def _default_db():
    return dict(connections["default"].settings_dict)


def _tables():
    tables = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def count_rows(cursor):
    """{table: rows} for every installed model's table, through any DB-API cursor."""
    counts = {}
    for table in _tables():
        # Table names come from the models; both engines quote with double quotes.
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def row_counts(using="default"):
    with connections[using].cursor() as cursor:
        return count_rows(cursor)


def backup_storage(folder=None):
    """Where backups go: `folder` if given, else the `backups` storage (BACKUP_DIR, or an
    S3-compatible bucket when BACKUP_S3_BUCKET is set)."""
    return FileSystemStorage(location=folder) if folder else storages["backups"]


def create_backup(*, storage=None, keep=None, now=None):
    """Store `courseops-<UTC time>.cobackup`; prune to the newest `keep`; returns its name."""
    storage = storage or backup_storage()
    db = _default_db()
    now = now or datetime.now(UTC)
    name = f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
    with tempfile.TemporaryDirectory(prefix="courseops-backup-") as work:
        work = Path(work)
        dump_path = work / "database.dump"
        manifest = {
            "format": 1,
            "created_at": now.isoformat(),
            "engine": database.engine(db),
            "rows": database.dump(db, dump_path, count_rows=count_rows),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        archive = work / "backup.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(dump_path, arcname="database.dump")
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                tar.add(media, arcname="media")
        sealed = work / name
        crypto.encrypt_file(archive, sealed)
        with sealed.open("rb") as handle:
            # A copy cut short is refused at restore: every chunk is authenticated.
            stored = storage.save(name, File(handle, name=name))
    pruned = prune(storage=storage, keep=keep) if keep else []
    log_action(None, "operations.backup.created", data={"name": stored, "pruned": pruned})
    return stored


def backups_in(storage):
    """Backup names in `storage`, oldest first (their names sort by time)."""
    _folders, files = storage.listdir("")
    return sorted(name for name in files if name.startswith(PREFIX) and name.endswith(SUFFIX))


def prune(*, storage, keep):
    """Delete all but the newest `keep` backups; returns the deleted names."""
    old = backups_in(storage)[:-keep]
    for name in old:
        storage.delete(name)
    return old


def fetch_backup(*, name, storage, destination):
    """Copy a stored backup to a local file (restores read local files)."""
    with storage.open(name, "rb") as source, open(destination, "wb") as target:
        shutil.copyfileobj(source, target, length=crypto.CHUNK)
    return destination


def restore_backup(*, path, db=None, media_root=None):
    """Replace the database's content (default: the project's) and add the media files
    from a backup; returns the backup's manifest."""
    db = db or _default_db()
    with tempfile.TemporaryDirectory(prefix="courseops-restore-") as work:
        work = Path(work)
        archive = work / "backup.tar"
        crypto.decrypt_file(path, archive)
        with tarfile.open(archive) as tar:
            tar.extractall(work / "contents", filter="data")
        contents = work / "contents"
        manifest = json.loads((contents / "manifest.json").read_text())
        if manifest["engine"] != database.engine(db):
            raise database.BackupError(
                f"This backup is of a {manifest['engine']} database; "
                f"the target is {database.engine(db)}."
            )
        connections.close_all()
        database.restore(db, contents / "database.dump")
        if (contents / "media").is_dir():
            shutil.copytree(
                contents / "media", Path(media_root or settings.MEDIA_ROOT), dirs_exist_ok=True
            )
    return manifest
