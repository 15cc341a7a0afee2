"""The Celery app. Tasks live in each app's `tasks.py`; schedules in its `periodic.py`."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

from courseops.core import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseops.settings")
broker.install()  # `filesystem://` (the embedded broker) writes whole messages only

# Every task publishes through SafeEnqueueTask: a broker outage never reaches the caller.
app = Celery("courseops", task_cls="courseops.core.queueing:SafeEnqueueTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds the enqueuing request's request_id (sent in task headers) and the task id to every
# log line the worker writes while running the task.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def configure_worker_logging(**kwargs):
    """Use the project's structured logging in worker and beat too."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
