"""How the apps above tell the outbox who a person is and what they agreed to.

The core knows no domain model. An app that knows people (marketing's contacts, which
link students) registers two plain functions in its `AppConfig.ready()`:

- a person lookup `(channel, address) -> Person | None`: which person an address
  belongs to (so one budget covers their email and their phone) and their time zone
  (for quiet hours);
- a consent check `(channel, address, category) -> bool | None`: False forbids the
  send, True or None (no opinion) let it through. Every registered check must agree.

An app may also register a send check `(message) -> str`: the reason a queued message
must not leave any more (its text stopped being true), or "" to let it through. The
reviews app registers one for messages of AI drafts (courseops/reviews/registry.py).

One app (reviews) registers the rollout check `(messages) -> {message id: reason}`: the
messages of an automation that must not leave for their person now (its rollout has them
in shadow, or not yet automatic). The outbox keeps those as `shadowed` with the reason,
at the one place every send passes (services.sending), so nothing escapes a shadow.

And it may listen to `address_suppressed`, which the outbox sends whenever an address
joins the suppression list (unsubscribe, complaint, hard bounce, SMS STOP, staff).
"""

from dataclasses import dataclass

from django.dispatch import Signal

from courseops.operations.encryption import blind_index

# kwargs: channel, address, reason, source
address_suppressed = Signal()


@dataclass(frozen=True)
class Person:
    key: str  # stable across the person's addresses, e.g. their main email
    time_zone: str = ""


_PERSON_LOOKUPS = []
_CONSENT_CHECKS = []
_SEND_CHECKS = []
_ROLLOUT_CHECKS = []


def register_person_lookup(lookup):
    if lookup not in _PERSON_LOOKUPS:
        _PERSON_LOOKUPS.append(lookup)
    return lookup


def register_consent_check(check):
    if check not in _CONSENT_CHECKS:
        _CONSENT_CHECKS.append(check)
    return check


def register_send_check(check):
    if check not in _SEND_CHECKS:
        _SEND_CHECKS.append(check)
    return check


def send_refusal(message):
    """The first registered send check's reason to hold `message` back, or ""."""
    for check in _SEND_CHECKS:
        reason = check(message)
        if reason:
            return str(reason)
    return ""


def register_rollout_check(check):
    if check not in _ROLLOUT_CHECKS:
        _ROLLOUT_CHECKS.append(check)
    return check


def rollout_holds(messages):
    """{message id: reason} of the messages a rollout keeps from leaving (one call per
    check for the whole batch)."""
    held = {}
    for check in _ROLLOUT_CHECKS:
        for message_id, reason in check(messages).items():
            held.setdefault(message_id, str(reason))
    return held


def address_key(channel, address):
    """The person key of an address nobody claims: the address itself, except that a
    phone number (encrypted in the outbox) is stood for by its keyed hash."""
    if channel == "sms":
        return f"sms:{blind_index(address)}"
    return f"{channel}:{address}"


def find_person(*, channel, address):
    """The first registered lookup's answer, else the address itself as the person."""
    for lookup in _PERSON_LOOKUPS:
        person = lookup(channel, address)
        if person is not None:
            return person
    return Person(key=address_key(channel, address))


def consent_refused(*, channel, address, category):
    """Whether any registered check forbids sending `category` to `address`."""
    return any(check(channel, address, category) is False for check in _CONSENT_CHECKS)
