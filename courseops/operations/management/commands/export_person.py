from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from courseops.operations.privacy.services import archive_name, export_archive


class Command(BaseCommand):
    help = "Write everything held about a person (student or lead) to a JSON+CSV zip."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="File or folder to write (default: here).")

    def handle(self, *args, email, output, **options):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email!r}.") from exc
        path = Path(output or ".")
        if path.is_dir():
            path = path / archive_name(email)
        path.write_bytes(export_archive(email))
        self.stdout.write(str(path))
