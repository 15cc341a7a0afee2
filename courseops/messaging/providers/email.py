"""Email through Django's mail API; the backend (anymail's provider, console, SMTP)
comes from `settings.EMAIL_BACKEND`, and `settings.EMAIL_FAILOVER_BACKEND` takes over what
the primary could not take."""

import base64
import smtplib
import socket
from functools import partial

import requests
from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from urllib3.exceptions import NewConnectionError

from courseops.core.logging import get_logger
from courseops.messaging.providers import SendError, SendResult

logger = get_logger(__name__)


def provider_name(connection):
    """ "postmark" for anymail's Postmark backend, "console" for Django's, and so on."""
    esp_name = getattr(connection, "esp_name", "")
    if esp_name:
        return esp_name.lower().replace(" ", "_")
    return type(connection).__module__.rsplit(".", 1)[-1]


class PreparedEmail:
    """An email built for its provider and not yet handed over (`send()` does that)."""

    def __init__(self, build, primary):
        self._build = build
        self.primary = primary
        self.email = build(primary)

    def send(self):
        """Hand it to the provider. With `EMAIL_FAILOVER_BACKEND` set, an email the
        primary provider surely did not take (it could not be reached, or it answered
        429/500/502/503) goes through the secondary once. An answer that leaves it unknown
        whether the email left (a read timeout, a 504) never fails over: that could send
        it twice."""
        try:
            return _deliver(self.email)
        except SendError as exc:
            if not (exc.unaccepted and settings.EMAIL_FAILOVER_BACKEND):
                raise
            secondary = get_connection(settings.EMAIL_FAILOVER_BACKEND)
            logger.warning(
                "messaging.send.failover",
                extra={
                    "message_id": self.email.metadata["outbound_id"],
                    "primary": provider_name(self.primary),
                    "secondary": provider_name(secondary),
                    "error": str(exc)[:200],
                },
            )
            return _deliver(self._build(secondary))


def prepare_email(
    *,
    to,
    subject,
    text,
    html,
    headers,
    outbound_id,
    attachments=(),
    from_email="",
    connection=None,
) -> PreparedEmail:
    """Build one email for the provider without calling it: the outbox builds a whole
    batch, marks it as handed over in one write, then sends each."""
    build = partial(
        _build,
        to=to,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        outbound_id=outbound_id,
        attachments=attachments,
        from_email=from_email,
    )
    return PreparedEmail(build, connection or get_connection())


def send_email(**kwargs):
    """Build one email and hand it to the provider (`prepare_email`'s arguments)."""
    return prepare_email(**kwargs).send()


def _build(connection, *, to, subject, text, html, headers, outbound_id, attachments, from_email):
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    for item in attachments:
        email.attach(item["filename"], base64.b64decode(item["content_b64"]), item["mimetype"])
    # anymail forwards metadata to the provider, which echoes it in tracking events.
    email.metadata = {"outbound_id": str(outbound_id)}
    return email


# Answers that say the provider did not take the email: it is safe to offer it to another.
REFUSED_STATUSES = {429, 500, 502, 503}


def _never_reached(exc):
    """True when the request never reached the provider (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps it
        return isinstance(reason, NewConnectionError)
    return isinstance(exc, ConnectionRefusedError | socket.gaierror | smtplib.SMTPConnectError)


def _deliver(email):
    connection = email.connection
    try:
        email.send()
    except AnymailRecipientsRefused as exc:
        raise SendError(f"Recipient refused by the provider: {exc}", permanent=True) from exc
    except AnymailAPIError as exc:
        status = exc.status_code
        transient = status is None or status == 429 or status >= 500
        unaccepted = status in REFUSED_STATUSES or (
            status is None and _never_reached(exc.__cause__)
        )
        raise SendError(str(exc), permanent=not transient, unaccepted=unaccepted) from exc
    except AnymailError as exc:  # invalid address, unsupported feature, serialization
        raise SendError(str(exc), permanent=True) from exc
    except smtplib.SMTPConnectError as exc:
        raise SendError(str(exc), permanent=False, unaccepted=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise SendError(str(exc), permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(str(exc), permanent=True) from exc
    except OSError as exc:  # connection refused, timeouts, TLS errors
        raise SendError(
            f"Mail server unreachable: {exc}", permanent=False, unaccepted=_never_reached(exc)
        ) from exc
    status = getattr(email, "anymail_status", None)
    message_id = (status.message_id if status else None) or ""
    return SendResult(provider=provider_name(connection), provider_message_id=str(message_id))
