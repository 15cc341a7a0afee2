import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from courseops.operations.privacy.services import erase_person


class Command(BaseCommand):
    help = "Anonymise a person everywhere; ask Stripe and the LMS to forget them."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="Confirm: this cannot be undone.")

    def handle(self, *args, email, yes, **options):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email!r}.") from exc
        if not yes:
            raise CommandError("Erasure cannot be undone: run again with --yes.")
        erasure = erase_person(email)
        self.stdout.write(
            json.dumps(
                {"erasure": erasure.pk, "touched": erasure.touched, "external": erasure.external},
                ensure_ascii=False,
            )
        )
