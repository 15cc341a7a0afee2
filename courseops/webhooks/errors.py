"""Errors of the webhook inbox.

Handlers raise `PermanentWebhookError` when retrying cannot help (the payload refers to
something that will never exist, a business rule rejects it); any other exception is
treated as transient and retried with backoff. The request errors map one-to-one to the
HTTP status the vendor sees, so the view never answers 500 for bad input.
"""


class PermanentWebhookError(Exception):
    """Raised by a handler: the event can never succeed, do not retry it."""


class WebhookRequestError(Exception):
    """An inbound request we refuse; `status` is the HTTP status answered."""

    status = 400

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class MalformedPayload(WebhookRequestError):
    status = 400


class SignatureMissing(WebhookRequestError):
    status = 401


class SignatureInvalid(WebhookRequestError):
    status = 401


class ProviderNotConfigured(WebhookRequestError):
    """No secret is set: refuse everything rather than accept unsigned requests."""

    status = 403


class PayloadTooLarge(WebhookRequestError):
    status = 413
