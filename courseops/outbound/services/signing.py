"""Standard Webhooks signing for what we send: the scheme our generic inbound door
verifies (courseops.webhooks.providers.generic), with its signing function."""

import base64
import secrets

from django.utils import timezone

from courseops.webhooks.providers.generic import SECRET_PREFIX, sign

SECRET_BYTES = 32


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, the format the standardwebhooks libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(*, endpoint, event_id: str, body: bytes, now=None) -> dict:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,` signature per
    secret in use: the new one, and the previous one while a rotation overlaps)."""
    now = now or timezone.now()
    timestamp = int(now.timestamp())
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and now < (endpoint.previous_secret_until)
    ):
        keys.append(endpoint.previous_secret)
    signatures = " ".join(
        sign(secret=key, event_id=event_id, timestamp=timestamp, body=body) for key in keys
    )
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
