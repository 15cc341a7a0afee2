"""Error tracking with Sentry (or a Sentry-compatible server such as GlitchTip), on only
when `SENTRY_DSN` is set.

Nothing identifying a student may leave. `data_collection` (sentry-sdk 2.75's replacement
for the deprecated `send_default_pii=False`, and stricter) keeps out user info, IP
addresses, cookies, request bodies, SQL parameters and queue payloads; `scrub_event` then
replaces emails and phone numbers wherever they appear in what is left (messages, local
variables, breadcrumbs), plus the values of keys that name personal data.
"""

import re

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: 9 to 15 digits, optionally after "+" and split by spaces, dots or
# dashes. Dates ("2026-11-25", 8 digits) and short ids stay readable.
PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s.-]?\d){8,14}(?!\w)")
PERSONAL_KEYS = re.compile(
    r"email|e-mail|correo|phone|tel[eé]fono|celular|full_name|first_name|last_name|nombre"
    r"|address|direcci[oó]n|recipient|destinatario",
    re.IGNORECASE,
)


def scrub_text(text):
    return PHONE.sub(FILTERED, EMAIL.sub(FILTERED, text))


def _scrub(value):
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: FILTERED
            if isinstance(key, str) and PERSONAL_KEYS.search(key) and value[key]
            else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_event(event, hint=None):
    """Sentry's `before_send`: the event with personal data replaced by [Filtered]."""
    return _scrub(event)


def init_sentry(*, dsn, environment, release="", traces_sample_rate=0.0, transport=None):
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "queues": False,
        },
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        traces_sample_rate=traces_sample_rate,
        transport=transport,
    )
