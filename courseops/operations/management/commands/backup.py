from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courseops.operations.backups import crypto, database
from courseops.operations.backups.services import backup_storage, create_backup


class Command(BaseCommand):
    help = "Write an encrypted backup (database and media files) and keep the newest N."

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", type=Path, default=None, help="A folder (default: BACKUP_DIR or the bucket)."
        )
        parser.add_argument("--keep", type=int, default=None, help="Backups kept (BACKUP_KEEP).")

    def handle(self, *args, to, keep, **options):
        storage = backup_storage(to)
        try:
            name = create_backup(
                storage=storage, keep=settings.BACKUP_KEEP if keep is None else keep
            )
        except (database.BackupError, crypto.BackupDecryptionError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Copia de seguridad: {name}"))
