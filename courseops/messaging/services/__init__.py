"""The messaging API other apps call. Everything here takes keyword arguments only."""

from courseops.messaging.services.outbox import (
    cancel_message,
    close_held_message,
    dispatch_due_messages,
    interrupt_stuck_messages,
    queue_email,
    queue_push,
    queue_sms,
    release_message,
    reschedule_message,
    retry_message,
)
from courseops.messaging.services.push import (
    push_public_key,
    subscribe_push,
    subscribed_addresses,
    unsubscribe_push,
)
from courseops.messaging.services.reconciliation import reconcile_interrupted_messages
from courseops.messaging.services.sending import deliver_message, deliver_messages
from courseops.messaging.services.suppression import (
    is_suppressed,
    suppress,
    unsubscribe_email,
    unsubscribe_url,
    unsuppress,
)
from courseops.messaging.services.tracking import (
    handle_inbound_sms,
    record_email_event,
    record_sms_status,
)

__all__ = [
    "cancel_message",
    "close_held_message",
    "deliver_message",
    "deliver_messages",
    "dispatch_due_messages",
    "handle_inbound_sms",
    "interrupt_stuck_messages",
    "is_suppressed",
    "queue_email",
    "queue_push",
    "queue_sms",
    "reconcile_interrupted_messages",
    "record_email_event",
    "push_public_key",
    "record_sms_status",
    "release_message",
    "reschedule_message",
    "retry_message",
    "subscribe_push",
    "subscribed_addresses",
    "suppress",
    "unsubscribe_email",
    "unsubscribe_push",
    "unsubscribe_url",
    "unsuppress",
]
