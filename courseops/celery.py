"""The Celery app. Tasks live in each app's `tasks.py`; schedules in its `periodic.py`."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseops.settings")

app = Celery("courseops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _create_filesystem_broker_folders():
    """kombu's filesystem transport needs its folders to exist before any process uses it."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


_create_filesystem_broker_folders()


@setup_logging.connect
def configure_worker_logging(**kwargs):
    """Use the project's structured logging in worker and beat too."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
