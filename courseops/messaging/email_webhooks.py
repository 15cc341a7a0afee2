"""The email providers' webhook doors (`/anymail/<provider>/tracking|inbound/`), fail closed.

Anymail's own views accept unauthenticated posts when no credential is set (they only
warn), and a tracking post suppresses an address while an inbound one creates a student's
question. So only the providers we support are mounted, each wrapped in a guard that
answers 403 until one of its credentials is configured (exactly as `/webhooks/` does) and
refuses a body over 1 MiB before anymail reads it. Anymail still does the verifying.

A credential is either the shared basic-auth secret (`ANYMAIL_WEBHOOK_SECRET`, the
user:password put in the URL given to the provider) or the provider's own signature key;
Mailgun signs every post and anymail always checks that signature, so Mailgun needs its
signing key whatever else is set.
"""

from dataclasses import dataclass
from io import BytesIO

from anymail.utils import get_anymail_setting
from anymail.webhooks.amazon_ses import (
    AmazonSESInboundWebhookView,
    AmazonSESTrackingWebhookView,
)
from anymail.webhooks.brevo import BrevoInboundWebhookView, BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView, MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView, ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView, SendGridTrackingWebhookView
from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from courseops.core.logging import get_logger
from courseops.webhooks.errors import PayloadTooLarge
from courseops.webhooks.views import MAX_BODY_BYTES, read_body

logger = get_logger(__name__)

BASIC_AUTH = "WEBHOOK_SECRET"


@dataclass(frozen=True)
class Door:
    provider: str  # the URL segment and the anymail backend module name
    kind: str  # "tracking" or "inbound"
    view: type
    esp_name: str  # anymail's prefix for the provider's own settings
    # Anymail setting names (without the ESP prefix) of signature keys, any of which
    # authenticates this door; BASIC_AUTH stands for the shared basic-auth secret.
    credentials: tuple[str, ...] = (BASIC_AUTH,)
    # Provider settings the view cannot work without whatever the credential (the API key
    # the inbound doors fetch the message with): missing, the door is off, not a 500.
    needs: tuple[str, ...] = ()

    @property
    def prefix(self):
        return self.esp_name.upper().replace(" ", "_")

    def missing_needs(self):
        """Full names of the `needs` settings that are not set."""
        return [
            f"{self.prefix}_{name.upper()}"
            for name in self.needs
            if not get_anymail_setting(name, esp_name=self.esp_name, default=None, allow_bare=True)
        ]

    def setting_names(self):
        prefix = self.prefix
        return [
            f"ANYMAIL_{BASIC_AUTH}" if name == BASIC_AUTH else f"{prefix}_{name.upper()}"
            for name in self.credentials
        ]

    def configured(self) -> bool:
        for name in self.credentials:
            if name == BASIC_AUTH:
                value = get_anymail_setting("webhook_secret", default=None)
            else:
                value = get_anymail_setting(
                    name, esp_name=self.esp_name, default=None, allow_bare=True
                )
            if value:
                return True
        return False


DOORS = [
    Door("postmark", "tracking", PostmarkTrackingWebhookView, "Postmark"),
    Door("postmark", "inbound", PostmarkInboundWebhookView, "Postmark"),
    Door("mailgun", "tracking", MailgunTrackingWebhookView, "Mailgun", ("webhook_signing_key",)),
    Door("mailgun", "inbound", MailgunInboundWebhookView, "Mailgun", ("webhook_signing_key",)),
    Door(
        "sendgrid",
        "tracking",
        SendGridTrackingWebhookView,
        "SendGrid",
        ("tracking_webhook_verification_key", BASIC_AUTH),
    ),
    Door("sendgrid", "inbound", SendGridInboundWebhookView, "SendGrid"),
    Door("amazon_ses", "tracking", AmazonSESTrackingWebhookView, "Amazon SES"),
    Door("amazon_ses", "inbound", AmazonSESInboundWebhookView, "Amazon SES"),
    Door("brevo", "tracking", BrevoTrackingWebhookView, "Brevo"),
    Door("brevo", "inbound", BrevoInboundWebhookView, "Brevo", needs=("api_key",)),
    Door("resend", "tracking", ResendTrackingWebhookView, "Resend", ("signing_secret", BASIC_AUTH)),
    Door(
        "resend",
        "inbound",
        ResendInboundWebhookView,
        "Resend",
        ("inbound_secret", BASIC_AUTH),
        needs=("api_key",),
    ),
]

# anymail.backends.<module>.EmailBackend -> the provider whose doors must be configured.
BACKEND_PROVIDERS = {
    "postmark": "postmark",
    "mailgun": "mailgun",
    "sendgrid": "sendgrid",
    "amazon_ses": "amazon_ses",
    "brevo": "brevo",
    "sendinblue": "brevo",
    "resend": "resend",
}


def door_for(provider, kind):
    return next((d for d in DOORS if d.provider == provider and d.kind == kind), None)


def backend_provider(email_backend: str):
    """The provider an anymail EMAIL_BACKEND sends through; "" for a non-anymail backend,
    None for an anymail provider we do not support (its doors are not mounted)."""
    parts = email_backend.split(".")
    if len(parts) < 3 or parts[:2] != ["anymail", "backends"]:
        return ""
    return BACKEND_PROVIDERS.get(parts[2])


def guard(door):
    view = door.view.as_view()

    @csrf_exempt
    def guarded(request, *args, **kwargs):
        if request.method == "POST":
            if not door.configured():
                logger.warning(
                    "anymail.webhook.rejected",
                    provider=door.provider,
                    kind=door.kind,
                    reason="not configured",
                    remote_addr=request.META.get("REMOTE_ADDR"),
                )
                names = " or ".join(door.setting_names())
                return JsonResponse(
                    {"detail": f"{names} is not set: {door.provider} {door.kind} is off."},
                    status=403,
                )
            if missing := door.missing_needs():
                logger.warning(
                    "anymail.webhook.rejected",
                    provider=door.provider,
                    kind=door.kind,
                    reason="not configured",
                    remote_addr=request.META.get("REMOTE_ADDR"),
                )
                names = " and ".join(missing)
                return JsonResponse(
                    {"detail": f"{names} is not set: {door.provider} {door.kind} is off."},
                    status=403,
                )
            try:
                body = read_body(request, limit=MAX_BODY_BYTES)
            except PayloadTooLarge as exc:
                logger.warning(
                    "anymail.webhook.rejected",
                    provider=door.provider,
                    kind=door.kind,
                    reason="too large",
                    remote_addr=request.META.get("REMOTE_ADDR"),
                )
                return JsonResponse({"detail": exc.detail}, status=exc.status)
            # Django parses forms and `request.body` from these, never the spent stream.
            request._body = body
            request._stream = BytesIO(body)
        return view(request, *args, **kwargs)

    guarded.door = door
    return guarded


app_name = "anymail"  # anymail's own URL names keep working
urlpatterns = []
for _door in DOORS:
    _name = f"{_door.provider}_{_door.kind}_webhook"
    if _door.provider == "mailgun" and _door.kind == "inbound":
        # Mailgun posts the raw MIME when the URL contains "mime" (anymail's own route).
        urlpatterns.append(re_path(r"^mailgun/inbound(_mime)?/$", guard(_door), name=_name))
    else:
        urlpatterns.append(path(f"{_door.provider}/{_door.kind}/", guard(_door), name=_name))
