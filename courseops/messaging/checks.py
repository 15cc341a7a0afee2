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


@register()
def email_tls_or_ssl(app_configs, **kwargs):
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        return [
            Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both on; set only one (587: TLS, 465: SSL).",
                id="messaging.E002",
            )
        ]
    return []
