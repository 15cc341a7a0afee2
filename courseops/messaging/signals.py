"""Email provider tracking webhooks (anymail's `tracking` signal) -> outbox rows."""

from anymail.signals import EventType, RejectReason, tracking
from django.dispatch import receiver

from courseops.messaging.services import record_email_event

# Bounces that say the mailbox is gone, not that it is full or the server busy.
HARD_REJECT_REASONS = {RejectReason.BOUNCED, RejectReason.INVALID}
# Postmark reports soft bounces as "bounced" too; its raw Type tells them apart.
SOFT_BOUNCE_TYPES = {"SoftBounce", "Transient", "DnsError"}


def _is_hard(event):
    if event.event_type not in (EventType.BOUNCED, EventType.REJECTED):
        return False
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if raw.get("Type") in SOFT_BOUNCE_TYPES:
        return False
    return event.reject_reason in HARD_REJECT_REASONS


@receiver(tracking, dispatch_uid="messaging.tracking")
def on_email_tracking(sender, event, esp_name, **kwargs):
    record_email_event(
        provider_message_id=event.message_id or "",
        event=event.event_type,
        recipient=event.recipient or "",
        description=event.description or event.mta_response or "",
        hard=_is_hard(event),
    )
