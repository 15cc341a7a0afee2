from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from courseops.reviews import services
from courseops.reviews.registry import ApplyError

MAX_RETRIES = 4


@shared_task(name="reviews.apply_draft", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def apply_draft_task(self, draft_id):
    """Run an approved draft's action; transient failures retry with backoff."""
    countdown = 30 * 2**self.request.retries
    try:
        services.apply_draft(
            draft_id=draft_id,
            final_attempt=self.request.retries >= MAX_RETRIES,
            retry_at=timezone.now() + timedelta(seconds=countdown),
        )
    except ApplyError as exc:
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="reviews.requeue_stale_drafts", ignore_result=True)
def requeue_stale_drafts_task():
    """Beat: take over approved drafts whose worker died or whose apply task was lost (the
    broker is not the record; the draft's status and holder are)."""
    services.requeue_stale_drafts()


@shared_task(name="reviews.withdraw_expired_held", ignore_result=True)
def withdraw_expired_held_task():
    """Beat: drop held messages whose moment passed before anyone reviewed them."""
    from courseops.reviews.held import withdraw_expired

    withdraw_expired()
