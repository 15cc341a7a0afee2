"""Email through Django's mail API; the backend (anymail's provider, console, SMTP)
comes from `settings.EMAIL_BACKEND`."""

import base64
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from courseops.messaging.providers import SendError, SendResult


def provider_name(connection):
    """ "postmark" for anymail's Postmark backend, "console" for Django's, and so on."""
    esp_name = getattr(connection, "esp_name", "")
    if esp_name:
        return esp_name.lower().replace(" ", "_")
    return type(connection).__module__.rsplit(".", 1)[-1]


def send_email(
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
    on_call=None,
):
    """Hand one email to the provider. `on_call()`, if given, runs once the email is built,
    right before the provider is called: from then on it may have gone out."""
    connection = connection or get_connection()
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
    if on_call is not None:
        on_call()
    try:
        email.send()
    except AnymailRecipientsRefused as exc:
        raise SendError(f"Recipient refused by the provider: {exc}", permanent=True) from exc
    except AnymailAPIError as exc:
        status = exc.status_code
        transient = status is None or status == 429 or status >= 500
        raise SendError(str(exc), permanent=not transient) from exc
    except AnymailError as exc:  # invalid address, unsupported feature, serialization
        raise SendError(str(exc), permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise SendError(str(exc), permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(str(exc), permanent=True) from exc
    except OSError as exc:  # connection refused, timeouts, TLS errors
        raise SendError(f"Mail server unreachable: {exc}", permanent=False) from exc
    status = getattr(email, "anymail_status", None)
    message_id = (status.message_id if status else None) or ""
    return SendResult(provider=provider_name(connection), provider_message_id=str(message_id))
