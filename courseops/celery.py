"""The Celery app. Tasks live in each app's `tasks.py`; schedules in its `periodic.py`."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseops.settings")

app = Celery("courseops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def configure_worker_logging(**kwargs):
    """Use the project's structured logging in worker and beat too."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
