"""System checks for settings that are each valid but wrong together."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=True)
def production_services(app_configs, **kwargs):
    problems = []
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        problems.append(
            Warning(
                "The filesystem Celery broker is meant for a single machine.",
                hint="Set REDIS_URL (or CELERY_BROKER_URL) in production.",
                id="courseops.W001",
            )
        )
    if settings.EMAIL_BACKEND.startswith("django.core.mail.backends.console"):
        problems.append(
            Warning(
                "Email goes to the console: no student will receive anything.",
                hint="Set EMAIL_BACKEND to an anymail backend and its key.",
                id="courseops.W002",
            )
        )
    return problems


@register()
def provider_credentials(app_configs, **kwargs):
    problems = []
    has_endpoint = settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL
    if settings.AI_PROVIDER == "openai" and not has_endpoint:
        problems.append(
            Error(
                "AI_PROVIDER is 'openai' but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set.",
                id="courseops.E001",
            )
        )
    if settings.SMS_BACKEND == "twilio" and not (
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN
    ):
        problems.append(
            Error(
                "SMS_BACKEND is 'twilio' but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is missing.",
                id="courseops.E002",
            )
        )
    return problems
