"""Asking a provider "did you accept this message?" (services.reconciliation).

A worker killed after stamping a message and before recording the outcome
(services.sending) leaves it unknown whether the provider took it, and none of our
providers takes an idempotency key: resending blindly could send it twice. Asking settles
it: `found` (with the provider's message id when it gives one), `not_found`, or `unknown`
(an error, a timeout, a provider we cannot ask).

A backend may answer for itself with a method `find_sent(...) -> Lookup` (looked up with
getattr: an email backend takes `outbound_id`, `recipient`, `since`; an SMS backend `to`,
`body`, `since`). Backends we do not own are asked through `EMAIL_LOOKUPS`, by provider
name. Every answer to "not found" carries how long after the call the provider needs
before its "not found" can be believed (`settle`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.utils.translation import gettext as _

from courseops.core import http
from courseops.messaging.models import Channel
from courseops.messaging.providers import FOUND, UNKNOWN, Lookup, get_sms_backend
from courseops.messaging.providers.email import provider_name

logger = logging.getLogger(__name__)

# Our clock and the provider's may differ: a copy the provider dates up to this long
# before our stamp still counts as this attempt's (an older copy, from before a retry by
# staff, does not).
CLOCK_SKEW = timedelta(minutes=2)
# Postmark's message search reads an index filled shortly after the API accepts an email
# (Postmark documents no bound; in practice seconds): a "not found" sooner than this after
# our call may be an email that is not searchable yet, and believing it would send it
# twice. Two minutes is well past that lag and costs a person one more minute at most,
# since the sweeper asks at its next run (every minute) after the stamp.
POSTMARK_SETTLE = timedelta(minutes=2)
# Postmark returns at most this many matches; ours are one email, or a few if staff
# resent it.
POSTMARK_SEARCH_COUNT = 10


def find_sent(message, *, since) -> Lookup:
    """Ask the provider(s) `message` may have gone through whether they took it at or
    after `since` (our stamp less `CLOCK_SKEW`). Never raises: a failure is `unknown`."""
    try:
        if message.channel == Channel.EMAIL:
            return _find_email(message, since=since)
        if message.channel == Channel.SMS:
            backend = get_sms_backend()
            if callable(getattr(backend, "find_sent", None)):
                return backend.find_sent(to=message.recipient, body=message.text_body, since=since)
            return Lookup.unaskable(backend.name)
    except Exception as exc:  # a backend that cannot even be built: staff decide
        logger.exception("messaging.lookup.failed", extra={"message_id": message.pk})
        return Lookup.unknown("", f"{type(exc).__name__}: {exc}")
    return Lookup.unaskable(message.channel)


def _find_email(message, *, since):
    """The primary provider's answer; with a failover provider, both are asked (an email
    the primary surely did not take went to the secondary, and the stamp does not say
    which): found by either is found, not found only when neither has it."""
    connections = [get_connection()]
    if settings.EMAIL_FAILOVER_BACKEND:
        connections.append(get_connection(settings.EMAIL_FAILOVER_BACKEND))
    answers = []
    for connection in connections:
        answer = _ask_email(connection, message, since=since)
        if answer.answer == FOUND:
            return answer
        answers.append(answer)
    unknown = [answer for answer in answers if answer.answer == UNKNOWN]
    if unknown:  # one that can be asked again first: its answer may yet settle it
        return min(unknown, key=lambda answer: not answer.askable)
    return Lookup.not_found(answers[0].provider, settle=max(a.settle for a in answers))


def _ask_email(connection, message, *, since):
    name = provider_name(connection)
    kwargs = {"outbound_id": message.pk, "recipient": message.recipient, "since": since}
    if callable(getattr(connection, "find_sent", None)):
        return connection.find_sent(**kwargs)
    lookup = EMAIL_LOOKUPS.get(name)
    return lookup(connection, **kwargs) if lookup else Lookup.unaskable(name)


def find_sent_postmark(connection, *, outbound_id, recipient, since):
    """Postmark's outbound message search, by the metadata anymail sent with the email
    (`outbound_id`) and its recipient, through anymail's own URL and server token (so a
    test's or a proxy's `POSTMARK_API_URL` applies). Request and answer as Postmark
    documents them: https://postmarkapp.com/developer/api/messages-api (count and offset
    required; `Messages[]` with `MessageID`, `Recipients`, `ReceivedAt`, `Metadata`) and
    https://postmarkapp.com/support/article/1125-custom-metadata-faq (`metadata_<key>=`
    searches by one metadata field)."""
    params = {
        "count": POSTMARK_SEARCH_COUNT,
        "offset": 0,
        "recipient": recipient,
        "metadata_outbound_id": str(outbound_id),
    }
    # Emails sent through another stream than the default transactional one (anymail's
    # POSTMARK_MESSAGE_STREAM, e.g. a broadcast stream) are searched in that stream: a
    # search of the default one would not find them and they would be sent twice. The
    # filter as Postmark's official postmark.js names it (`messageStream` of
    # `OutboundMessagesFilteringParameters`).
    if connection.message_stream:
        params["messagestream"] = connection.message_stream
    try:
        response = http.request(
            "GET",
            f"{connection.api_url}messages/outbound",
            timeout=connection.timeout,
            params=params,
            headers={
                "Accept": "application/json",
                "X-Postmark-Server-Token": connection.server_token,
            },
        )
        http.raise_for_status(response, "Postmark")
        found = response.json()["Messages"]
    except http.HTTPError as exc:
        return Lookup.unknown("postmark", exc)
    except (ValueError, KeyError, TypeError) as exc:  # not the JSON Postmark documents
        return Lookup.unknown("postmark", _("Respuesta inesperada de Postmark: %(e)s") % {"e": exc})
    for item in found or ():
        if _is_ours(item, outbound_id=outbound_id, recipient=recipient, since=since):
            accepted_at = _parse_time(item.get("ReceivedAt"))
            return Lookup.found("postmark", item.get("MessageID", ""), accepted_at)
    return Lookup.not_found("postmark", settle=POSTMARK_SETTLE)


def _is_ours(item, *, outbound_id, recipient, since):
    if not isinstance(item, dict):
        return False
    metadata = item.get("Metadata") or {}
    if str(metadata.get("outbound_id", outbound_id)) != str(outbound_id):
        return False
    recipients = {str(address).lower() for address in item.get("Recipients") or ()}
    if recipients and recipient.lower() not in recipients:
        return False
    accepted_at = _parse_time(item.get("ReceivedAt"))
    # A date we cannot read is taken as this attempt's: "found" never sends twice.
    return accepted_at is None or accepted_at >= since


def _parse_time(value):
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


EMAIL_LOOKUPS = {"postmark": find_sent_postmark}
