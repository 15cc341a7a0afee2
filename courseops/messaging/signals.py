"""Email provider tracking webhooks (anymail's `tracking` signal) -> outbox rows."""

from anymail.signals import EventType, RejectReason, tracking
from django.dispatch import receiver

from courseops.messaging.services import record_email_event

# Bounces that say the mailbox is gone, not that it is full or the server busy.
HARD_REJECT_REASONS = {RejectReason.BOUNCED, RejectReason.INVALID}
# Providers that report soft bounces as "bounced" too, and the raw field and values that
# tell them apart: Postmark's `Type`, SendGrid's `type` ("bounce" is hard, "blocked" not).
SOFT_BOUNCES = {"Type": {"SoftBounce", "Transient", "DnsError"}, "type": {"blocked"}}


def _is_hard(event):
    """A bounce that says the mailbox is gone. Anymail's "bounced" is a permanent rejection
    by the recipient's server: without a reject reason (SendGrid's bounce events) it is
    hard unless the provider's own field says it was soft."""
    if event.event_type not in (EventType.BOUNCED, EventType.REJECTED):
        return False
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if any(raw.get(field) in values for field, values in SOFT_BOUNCES.items()):
        return False
    reason = event.reject_reason
    if reason is None and event.event_type == EventType.BOUNCED:
        reason = RejectReason.BOUNCED
    return reason in HARD_REJECT_REASONS


@receiver(tracking, dispatch_uid="messaging.tracking")
def on_email_tracking(sender, event, esp_name, **kwargs):
    record_email_event(
        provider_message_id=event.message_id or "",
        event=event.event_type,
        recipient=event.recipient or "",
        description=event.description or event.mta_response or "",
        hard=_is_hard(event),
        # A send refused because the person unsubscribed at the provider (SendGrid's
        # "Unsubscribed Address" drop, for one): they unsubscribed.
        unsubscribed=event.reject_reason == RejectReason.UNSUBSCRIBED,
    )
