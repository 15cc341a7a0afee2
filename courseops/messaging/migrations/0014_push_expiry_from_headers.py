"""Push rows queued before `expires_at` existed kept their window in `headers`: first as
"ttl" (seconds from when they were due), then as "expires_at" (an ISO moment). Still
waiting ones get it as `expires_at`, which is what the send reads now (without it they
would be pushed with no TTL, and late)."""

from datetime import datetime, timedelta

from django.db import migrations

WAITING = ("queued", "awaiting_retry", "held", "sending", "interrupted")


def expiry(message):
    headers = message.headers or {}
    if headers.get("expires_at"):
        return datetime.fromisoformat(headers["expires_at"])
    if headers.get("ttl") is not None:
        start = max(message.send_at or message.created_at, message.created_at)
        return start + timedelta(seconds=int(headers["ttl"]))
    return None


def forwards(apps, schema_editor):
    OutboundMessage = apps.get_model("messaging", "OutboundMessage")
    waiting = OutboundMessage.objects.filter(
        channel="push", status__in=WAITING, expires_at__isnull=True
    )
    for message in waiting.only("pk", "headers", "send_at", "created_at").iterator():
        expires_at = expiry(message)
        if expires_at is not None:
            OutboundMessage.objects.filter(pk=message.pk).update(expires_at=expires_at)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0013_provider_call"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
