"""A storage tool (Zapier, n8n, a bucket notification relay) announces a new lesson file
through the generic webhook: `{"type": "content.file_created", "data": {"course": slug,
"url": ..., "title"?: ..., "language"?: ...}}`."""

from content.intake import IntakeError, lesson_from_notification
from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.registry import webhook_handler


@webhook_handler("generic", "content.file_created")
def lesson_file_created(event):
    try:
        lesson_from_notification(data=event.payload.get("data"))
    except IntakeError as exc:
        raise PermanentWebhookError(str(exc)) from exc
