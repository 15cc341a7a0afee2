from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseops.operations.backups import crypto, database
from courseops.operations.backups.services import restore_backup, row_counts


class Command(BaseCommand):
    help = "Replace the database's content and add the media files from an encrypted backup."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--noinput", action="store_true", help="Do not ask before overwriting the database."
        )

    def handle(self, *args, path, noinput, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if not noinput:
            answer = input("Esto reemplaza los datos de la base de datos actual. ¿Seguir? [s/N] ")
            if answer.strip().lower() not in {"s", "si", "sí", "y", "yes"}:
                raise CommandError("Cancelado.")
        try:
            manifest = restore_backup(path=path)
        except (database.BackupError, crypto.BackupDecryptionError) as exc:
            raise CommandError(str(exc)) from exc
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
        total = sum(restored.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restaurada la copia del {manifest['created_at']}: {total} filas comprobadas."
            )
        )
