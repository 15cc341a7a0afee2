from django.contrib.contenttypes.models import ContentType

from courseops.audit.models import AuditEntry

SENSITIVE_KEYS = {"password", "token", "secret", "api_key", "authorization", "card"}
MASK = "***"


def _mask(value):
    if isinstance(value, dict):
        return {
            key: MASK if any(word in key.lower() for word in SENSITIVE_KEYS) else _mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def log_action(obj, action, *, user=None, data=None):
    """Record that `action` (dotted, e.g. "reviews.draft.approved") happened to `obj`."""
    entry = AuditEntry(
        action=action,
        actor=user if user and user.is_authenticated else None,
        data=_mask(data or {}),
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:200]
    entry.save()
    return entry


def history(obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
