import os

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate


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
        # Sent once per app with models; django-celery-beat's is the one that matters.
        post_migrate.connect(
            _install_periodic_tasks, sender=self.apps.get_app_config("django_celery_beat")
        )


def _create_filesystem_broker_folders():
    """kombu's filesystem transport needs its folders before any process publishes or
    consumes; every process (web, worker, beat, commands) passes through here."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


def _install_periodic_tasks(*, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs):
    """`migrate` installs the periodic tasks declared in code, keeping staff edits (the same
    idempotent install as `manage.py install_periodic_tasks`): a fresh database never
    runs a beat with an empty schedule."""
    if using != DEFAULT_DB_ALIAS:
        return
    if "django_celery_beat_periodictask" not in connections[using].introspection.table_names():
        return  # migrated backwards past django-celery-beat: nothing to install into
    from courseops.core.schedules import install_periodic_tasks

    created, updated = install_periodic_tasks()
    if verbosity >= 1 and (created or updated):
        print(f"Periodic tasks: {len(created)} created, {len(updated)} updated")
