from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

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
    # Inbound email reaches one provider (the help address's MX): the primary's door.
    inbound = ["inbound"] if settings.HELP_INBOX_ADDRESS else []
    problems = _backend_webhook_problems("EMAIL_BACKEND", settings.EMAIL_BACKEND, inbound)
    if settings.EMAIL_FAILOVER_BACKEND:
        problems += _backend_webhook_problems(
            "EMAIL_FAILOVER_BACKEND", settings.EMAIL_FAILOVER_BACKEND, []
        )
    return problems


def _backend_webhook_problems(setting, backend, extra_kinds):
    from courseops.messaging.email_webhooks import backend_provider, door_for

    provider = backend_provider(backend)
    if provider == "":
        return []
    if provider is None:
        return [
            Error(
                f"{setting} {backend!r} is an anymail provider CourseOps "
                "does not support: its tracking webhooks are not mounted.",
                hint="Use Postmark, Mailgun, Amazon SES, Brevo, Resend or SendGrid.",
                id="messaging.E002",
            )
        ]
    problems = []
    for kind in ["tracking", *extra_kinds]:
        door = door_for(provider, kind)
        if not door.configured():
            problems.append(
                Error(
                    f"{setting} sends through {provider} but its {kind} webhook has no "
                    f"credential: /anymail/{provider}/{kind}/ refuses every request.",
                    hint=f"Set {' or '.join(door.setting_names())} (see .env.example).",
                    id="messaging.E003",
                )
            )
        elif missing := door.missing_needs():
            problems.append(
                Error(
                    f"{setting} sends through {provider} but its {kind} webhook cannot "
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


@register()
def email_failover_backend(app_configs, **kwargs):
    """The secondary must be another provider, and one Django can load."""
    backend = settings.EMAIL_FAILOVER_BACKEND
    if not backend:
        return []
    if backend == settings.EMAIL_BACKEND:
        problem = "is the same as EMAIL_BACKEND: a failover needs another provider."
    else:
        try:
            import_string(backend)
        except ImportError:
            problem = "cannot be imported."
        else:
            return []
    return [
        Error(
            f"EMAIL_FAILOVER_BACKEND {backend!r} {problem}",
            hint="E.g. anymail.backends.mailgun.EmailBackend, with its keys set.",
            id="messaging.E005",
        )
    ]


@register(deploy=True)
def push_configured(app_configs, **kwargs):
    from courseops.messaging.providers.push import push_enabled

    if push_enabled():
        return []
    if settings.WEBPUSH_VAPID_PRIVATE_KEY or settings.WEBPUSH_VAPID_PUBLIC_KEY:
        return [
            Error(
                "Only one of WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY is set.",
                hint="Set both (`manage.py generate_vapid_keys` prints a pair), or neither.",
                id="messaging.E006",
            )
        ]
    return []  # push off (neither key): a choice, and the portal says it to students
