from django.conf import settings
from django.core.checks import Error, register

from courseops.messaging.providers import SMS_BACKENDS


@register()
def sms_backend_known(app_configs, **kwargs):
    if settings.SMS_BACKEND in SMS_BACKENDS:
        return []
    return [
        Error(
            f"SMS_BACKEND is {settings.SMS_BACKEND!r}; choose one of {sorted(SMS_BACKENDS)}.",
            id="messaging.E001",
        )
    ]


def _email_webhook_problems():
    from courseops.messaging.email_webhooks import backend_provider, door_for

    provider = backend_provider(settings.EMAIL_BACKEND)
    if provider == "":
        return []
    if provider is None:
        return [
            Error(
                f"EMAIL_BACKEND {settings.EMAIL_BACKEND!r} is an anymail provider CourseOps "
                "does not support: its tracking webhooks are not mounted.",
                hint="Use Postmark, Mailgun, Amazon SES, Brevo, Resend or SendGrid.",
                id="messaging.E002",
            )
        ]
    kinds = ["tracking"] + (["inbound"] if settings.HELP_INBOX_ADDRESS else [])
    problems = []
    for kind in kinds:
        door = door_for(provider, kind)
        if not door.configured():
            problems.append(
                Error(
                    f"EMAIL_BACKEND sends through {provider} but its {kind} webhook has no "
                    f"credential: /anymail/{provider}/{kind}/ refuses every request.",
                    hint=f"Set {' or '.join(door.setting_names())} (see .env.example).",
                    id="messaging.E003",
                )
            )
        elif missing := door.missing_needs():
            problems.append(
                Error(
                    f"EMAIL_BACKEND sends through {provider} but its {kind} webhook cannot "
                    f"fetch messages: /anymail/{provider}/{kind}/ refuses every request.",
                    hint=f"Set {' and '.join(missing)} (see .env.example).",
                    id="messaging.E003",
                )
            )
    return problems


@register(deploy=True)
def email_webhook_credentials_deploy(app_configs, **kwargs):
    # In production the check below already runs; don't report the same error twice.
    return [] if settings.PRODUCTION else _email_webhook_problems()


@register()
def email_webhook_credentials(app_configs, **kwargs):
    """In production a provider without its webhook credential stops the start-up:
    bounces and complaints would be refused and the list would keep mailing them."""
    return _email_webhook_problems() if settings.PRODUCTION else []


@register()
def email_tls_or_ssl(app_configs, **kwargs):
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        return [
            Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; set only one (587: TLS, 465: SSL).",
                id="messaging.E004",
            )
        ]
    return []
