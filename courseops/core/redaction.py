"""Credentials out of what staff read: sign-in, survey, consent and unsubscribe links, API
and provider tokens are masked wherever the admin shows a message, a draft, an audit entry
or a webhook payload.

Masked on display rather than stored masked: the outbox keeps the exact message so a retry
or a resend sends the very same bytes (and its idempotency holds), and every link in it is
a signed value recognisable by its shape, so one function applied where the admin shows
text covers links added by any app, today's and tomorrow's. Those who must see a message
exactly as sent hold `messaging.view_sent_credentials` (no role but admin).
"""

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import SafeData, mark_safe

VIEW_SENT_CREDENTIALS = "messaging.view_sent_credentials"
MASK = "[token]"

# A Django signed value (`signing.dumps`: [.]payload:timestamp:signature, or a Signer's
# value:signature) as a whole URL path segment; not a host:port (that follows "//").
SIGNED_TOKEN = re.compile(r"(?<=[^/]/)[.\w-]+(?::[\w-]+){1,3}(?=[/?#\s'\"<&)]|$)")
# Tokens by their prefix: our API keys, Stripe and Svix secrets, Slack-style hooks.
PREFIXED_SECRET = re.compile(
    r"\b(?:co_|whsec_|sk_live_|sk_test_|rk_live_|rk_test_|re_|xox[abp]-)[\w+/=-]{16,}"
    r"|\bSG\.[\w-]{16,}\.[\w-]{16,}|\bkey-[0-9a-f]{32}\b"
)
# Secrets carried in a query string.
QUERY_SECRET = re.compile(
    r"([?&](?:token|key|signature|sig|access_token|api_key)=)[^&\s'\"<#]+", re.IGNORECASE
)
# JSON keys whose value is a credential whatever it looks like.
SECRET_KEY = re.compile(r"(authorization|signature|secret|password|token|api[_-]?key)", re.I)


def mask_credentials(text):
    """`text` with every credential replaced by [token]; keeps a SafeString safe (the mask
    holds no markup)."""
    if not isinstance(text, str) or not text:
        return text
    masked = SIGNED_TOKEN.sub(MASK, text)
    masked = QUERY_SECRET.sub(rf"\g<1>{MASK}", PREFIXED_SECRET.sub(MASK, masked))
    # The mask and what it replaces hold no markup: safe input stays safe.
    return mark_safe(masked) if isinstance(text, SafeData) else masked  # noqa: S308


NUMBERED = re.compile(r"\[token-(\d+)\]")


def mask_numbered(text):
    """`text` with each credential replaced by [token-1], [token-2]... in reading order:
    a copy staff may read and edit, whose credentials `unmask_numbered` puts back from
    the original text (the same text always numbers the same)."""
    found = []

    def hide(secret, before=""):
        if "\0" in secret:  # already hidden by an earlier pattern
            return before + secret
        found.append(secret)
        return f"{before}\0{len(found) - 1}\0"

    hidden = SIGNED_TOKEN.sub(lambda match: hide(match.group(0)), text)
    hidden = PREFIXED_SECRET.sub(lambda match: hide(match.group(0)), hidden)
    hidden = QUERY_SECRET.sub(
        lambda match: hide(match.group(0)[len(match.group(1)) :], match.group(1)), hidden
    )
    ordered = []

    def number(match):
        ordered.append(found[int(match.group(1))])
        return f"[token-{len(ordered)}]"

    return re.sub(r"\0(\d+)\0", number, hidden), ordered


def unmask_numbered(edited, original):
    """`edited` (made from `mask_numbered(original)`) with its [token-N] back to the
    credentials of `original`; a number that is not there stays as written."""
    _masked, secrets = mask_numbered(original)

    def restore(match):
        index = int(match.group(1)) - 1
        return secrets[index] if 0 <= index < len(secrets) else match.group(0)

    return NUMBERED.sub(restore, edited)


def mask_value(value):
    """A JSON-like value with its credentials masked (strings, and whole values under
    keys such as `token` or `Authorization`)."""
    if isinstance(value, dict):
        return {
            key: MASK
            if isinstance(key, str) and SECRET_KEY.search(key) and isinstance(item, str)
            else mask_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return mask_credentials(value)


def pretty_json(value):
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
