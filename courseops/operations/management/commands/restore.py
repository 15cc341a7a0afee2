import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseops.audit.services import log_action
from courseops.operations.backups import crypto, database
from courseops.operations.backups.services import (
    backup_storage,
    backups_in,
    fetch_backup,
    restore_backup,
    row_counts,
)


class Command(BaseCommand):
    help = "Replace the database's content and add the media files from an encrypted backup."

    def add_arguments(self, parser):
        parser.add_argument(
            "backup",
            help="A local file, a backup's name in the backup storage, or 'latest'.",
        )
        parser.add_argument(
            "--noinput", action="store_true", help="Do not ask before overwriting the database."
        )

    def handle(self, *args, backup, noinput, **options):
        if not noinput:
            answer = input("Esto reemplaza los datos de la base de datos actual. ¿Seguir? [s/N] ")
            if answer.strip().lower() not in {"s", "si", "sí", "y", "yes"}:
                raise CommandError("Cancelado.")
        try:
            with tempfile.TemporaryDirectory(prefix="courseops-fetch-") as work:
                manifest = restore_backup(path=self._local_file(backup, Path(work)))
        except (database.BackupError, crypto.BackupDecryptionError) as exc:
            raise CommandError(str(exc)) from exc
        self._compare(manifest)

    def _local_file(self, backup, work):
        if Path(backup).is_file():
            return Path(backup)
        storage = backup_storage()
        names = backups_in(storage)
        name = names[-1] if backup == "latest" and names else backup
        if name not in names:
            raise CommandError(f"No backup {backup!r} here or in the backup storage.")
        return fetch_backup(name=name, storage=storage, destination=work / name)

    def _compare(self, manifest):
        restored = row_counts()
        different = {
            table: (rows, restored.get(table))
            for table, rows in manifest["rows"].items()
            if restored.get(table) != rows
        }
        for table, (expected, found) in sorted(different.items()):
            self.stderr.write(f"{table}: {expected} filas en la copia, {found} restauradas")
        if different:
            raise CommandError("La restauración no coincide con la copia.")
        log_action(None, "operations.backup.restored", data={"created_at": manifest["created_at"]})
        total = sum(restored.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restaurada la copia del {manifest['created_at']}: {total} filas comprobadas."
            )
        )
