"""System checks for the operations settings."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def encryption_settings(app_configs, **kwargs):
    problems = []
    if settings.PRODUCTION:
        for name in ("FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY", "BACKUP_ENCRYPTION_KEYS"):
            if not getattr(settings, name):
                problems.append(
                    Error(
                        f"{name} is not set: data would be encrypted with a key derived "
                        "from SECRET_KEY.",
                        hint="Generate keys as docs/operations.md explains and set them.",
                        id="courseops.E101",
                    )
                )
    from courseops.operations.backups.crypto import backup_keys
    from courseops.operations.encryption import fernet

    for load_keys in (fernet, backup_keys):
        try:
            load_keys()
        except Exception as exc:  # any key parsing problem is reported, not raised
            problems.append(Error(str(exc), id="courseops.E102"))
    return problems
