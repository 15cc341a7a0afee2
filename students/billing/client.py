"""The one place that talks to Stripe: client construction and error classification.

Every call goes through `call()`, so a vendor error reaches the caller as a
`BillingError` that says whether retrying could help.
"""

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

# Errors worth retrying later: the network, Stripe's own trouble, throttling, and an
# idempotent request still in flight elsewhere. Everything else (bad params, a missing
# object, a revoked key) will fail the same way again.
TRANSIENT_ERRORS = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.IdempotencyError,
)


class BillingError(Exception):
    def __init__(self, message, *, permanent, code=""):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


def get_client() -> stripe.StripeClient:
    """A client configured from settings: key, API base (tests, stripe-mock), timeouts."""
    if not settings.STRIPE_SECRET_KEY:
        raise BillingError(_("Stripe no está configurado (STRIPE_SECRET_KEY)."), permanent=True)
    options = {
        "max_network_retries": settings.STRIPE_MAX_NETWORK_RETRIES,
        "http_client": stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    }
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def call(method, *args, **kwargs):
    """Run one SDK call; Stripe errors come out as `BillingError(permanent=...)`."""
    try:
        return method(*args, **kwargs)
    except TRANSIENT_ERRORS as exc:
        raise BillingError(_describe(exc), permanent=False, code=exc.code or "") from exc
    except stripe.StripeError as exc:
        raise BillingError(_describe(exc), permanent=True, code=exc.code or "") from exc


def _describe(exc):
    status = f" HTTP {exc.http_status}" if exc.http_status else ""
    return f"Stripe{status}: {exc.user_message or exc}"
