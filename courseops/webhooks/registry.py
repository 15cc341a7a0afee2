"""What the inbox knows: providers (who may POST) and handlers (who acts on an event).

Domain apps register handlers in a `webhook_handlers.py` module (discovered on first
lookup, like `admin.py`) or anywhere imported at start-up:

    from courseops.webhooks.registry import webhook_handler

    @webhook_handler("typeform", "form_response")
    def registration_form_answered(event):
        ...

A handler must be idempotent: an event can run again after a worker died mid-way or when
staff re-run it. It raises `PermanentWebhookError` for "never retry"; anything else
is retried with backoff.
"""

import re
import threading

from django.utils.module_loading import autodiscover_modules, import_string

PROVIDERS = {
    "typeform": "courseops.webhooks.providers.typeform.TypeformProvider",
    "stripe": "courseops.webhooks.providers.stripe.StripeProvider",
    "generic": "courseops.webhooks.providers.generic.GenericProvider",
    "twilio": "courseops.webhooks.providers.twilio.TwilioProvider",
}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_providers = {}
_handlers = {}
_discovered = False
_lock = threading.Lock()


def register_provider(name: str, dotted_path: str) -> None:
    """Let an app add a provider (Zoom, Thinkific) served at /webhooks/<name>/."""
    if not _NAME.match(name):
        raise ValueError(f"Invalid webhook provider name {name!r}: use [a-z0-9_-], max 32.")
    PROVIDERS[name] = dotted_path
    _providers.pop(name, None)


def get_provider(name: str):
    """The provider instance for `name`, imported on first use; None if unknown."""
    if name not in PROVIDERS:
        return None
    if name not in _providers:
        _providers[name] = import_string(PROVIDERS[name])()
    return _providers[name]


def webhook_handler(provider: str, event_type: str):
    """Decorator registering `fn(event: WebhookEvent) -> None` for one event type."""

    def register(fn):
        key = (provider, event_type)
        existing = _handlers.get(key)
        if existing is not None and existing is not fn:
            raise ValueError(
                f"{provider}/{event_type} already handled by "
                f"{existing.__module__}.{existing.__qualname__}"
            )
        _handlers[key] = fn
        return fn

    return register


def get_handler(provider: str, event_type: str):
    global _discovered
    if not _discovered:
        with _lock:
            if not _discovered:
                autodiscover_modules("webhook_handlers")
                _discovered = True
    return _handlers.get((provider, event_type))
