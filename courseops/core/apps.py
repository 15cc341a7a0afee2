import os

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "courseops.core"
    label = "core"
    verbose_name = "Operación"

    def ready(self):
        from courseops.core import (
            checks,  # noqa: F401  (registers system checks)
            staff_auth,  # noqa: F401  (the sign-in receiver)
        )
        from courseops.core import logging as structured_logging

        structured_logging.configure_structlog()
        _create_filesystem_broker_folders()


def _create_filesystem_broker_folders():
    """kombu's filesystem transport needs its folders before any process publishes or
    consumes; every process (web, worker, beat, commands) passes through here."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)
