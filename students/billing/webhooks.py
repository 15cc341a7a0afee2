"""Stripe webhook handlers: thin triggers for `students.billing.services`.

Each re-reads what it needs from Stripe, so a duplicate or late event is harmless. A
permanent billing error fails the event at once (staff see `last_error`); a transient one
is raised as is so the inbox retries it with backoff.
"""

from functools import wraps

from courseops.webhooks.errors import PermanentWebhookError
from courseops.webhooks.registry import webhook_handler
from students.billing import services
from students.billing.client import BillingError


def _stripe_object(event):
    try:
        return event.payload["data"]["object"]
    except (KeyError, TypeError) as exc:
        raise PermanentWebhookError(f"Stripe event without data.object: {exc!r}") from exc


def _permanent_errors_fail_the_event(handler):
    @wraps(handler)
    def run(event):
        try:
            handler(event)
        except BillingError as exc:
            if exc.permanent:
                raise PermanentWebhookError(str(exc)) from exc
            raise

    return run


@webhook_handler("stripe", "checkout.session.completed")
@webhook_handler("stripe", "checkout.session.async_payment_succeeded")
@_permanent_errors_fail_the_event
def checkout_completed(event):
    services.complete_checkout(session=_stripe_object(event))


@webhook_handler("stripe", "checkout.session.expired")
def checkout_expired(event):
    services.record_checkout_expired(session=_stripe_object(event))


@webhook_handler("stripe", "customer.subscription.created")
@webhook_handler("stripe", "customer.subscription.updated")
@webhook_handler("stripe", "customer.subscription.deleted")
@webhook_handler("stripe", "customer.subscription.paused")
@webhook_handler("stripe", "customer.subscription.resumed")
@_permanent_errors_fail_the_event
def subscription_changed(event):
    services.sync_subscription(subscription_id=_stripe_object(event)["id"])


@webhook_handler("stripe", "invoice.paid")
@_permanent_errors_fail_the_event
def invoice_paid(event):
    services.record_invoice_paid(invoice=_stripe_object(event))


@webhook_handler("stripe", "invoice.payment_failed")
@_permanent_errors_fail_the_event
def invoice_payment_failed(event):
    services.record_payment_failed(invoice=_stripe_object(event))
