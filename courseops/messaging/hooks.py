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

One app (reviews) registers the rollout check `(messages) -> {message id: (status,
reason)}`: the messages of an automation that must not leave for their person now, and
what becomes of them: `shadowed` (its rollout has them in shadow), `held` (in review: it
waits for staff, who release or reject it) or `canceled` (staff rejected it). The outbox
applies that at the one place every send passes (services.sending), so nothing escapes.
After recording a batch it sends `messages_withheld` with the rows it shadowed, held or
canceled, so the app that queued one can tell the truth about it (a nudge is not "sent");
a held row that ends without leaving (staff rejected it: `canceled`; its moment passed or
it stopped being true: `dropped`) is announced the same way, and one staff approve sends
`message_released` (it goes now).

And it may listen to `address_suppressed`, which the outbox sends whenever an address
joins the suppression list (unsubscribe, complaint, hard bounce, SMS STOP, staff).
"""

from dataclasses import dataclass

from django.dispatch import Signal

from courseops.operations.encryption import blind_index

# kwargs: channel, address, reason, source
address_suppressed = Signal()
# kwargs: withheld ({message id: status}) of the rows a rollout kept from leaving
messages_withheld = Signal()
# kwargs: message, a held row staff approved: back in the queue, it goes
message_released = Signal()

# What a rollout check may make of a message it keeps back.
WITHHELD_STATUSES = ("shadowed", "held", "canceled")


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
    """{message id: (status, reason)} of the messages a rollout keeps from leaving (one
    call per check for the whole batch); the first check's word on a message stands."""
    held = {}
    for check in _ROLLOUT_CHECKS:
        for message_id, (status, reason) in check(messages).items():
            if status not in WITHHELD_STATUSES:
                raise ValueError(f"A rollout check may not make a message {status!r}.")
            held.setdefault(message_id, (status, str(reason)))
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
