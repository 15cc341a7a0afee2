"""Catch an unusable generic webhook secret at start-up, not at the first delivery."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def generic_webhook_secret(app_configs, **kwargs):
    from courseops.webhooks.providers.generic import secret_key

    secret = settings.GENERIC_WEBHOOK_SECRET
    if not secret:
        return []
    try:
        secret_key(secret)
    except ValueError as exc:
        return [
            Error(
                f"GENERIC_WEBHOOK_SECRET is unusable: {exc}.",
                hint="Generate one as docs/webhooks.md shows (whsec_ + base64 of 32 bytes).",
                id="webhooks.E001",
            )
        ]
    return []
