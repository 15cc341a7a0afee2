from django.core.management.base import BaseCommand

from courseops.operations.rotation import rotate_encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        def progress(model, count):
            self.stdout.write(f"{model._meta.label}: {count} filas")

        total = rotate_encrypted_fields(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} filas re-cifradas con la primera clave. Ya puede quitar las claves "
                "antiguas de FIELD_ENCRYPTION_KEYS."
            )
        )
