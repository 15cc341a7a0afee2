"""System checks for the operations settings."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def encryption_keys(app_configs, **kwargs):
    problems = []
    if settings.PRODUCTION:
        for name in ("FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEY"):
            if not getattr(settings, name):
                problems.append(
                    Error(
                        f"{name} is not set: personal data would be encrypted with a key "
                        "derived from SECRET_KEY.",
                        hint="Generate keys as docs/operations.md explains and set them.",
                        id="courseops.E101",
                    )
                )
    try:
        from courseops.operations.encryption import fernet

        fernet()
    except Exception as exc:  # any key parsing problem is reported, not raised
        problems.append(Error(str(exc), id="courseops.E102"))
    return problems
