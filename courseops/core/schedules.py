"""Periodic tasks are declared in code, in each app's `periodic.py`, and installed into
django-celery-beat's tables by every `manage.py migrate` (post_migrate, core/apps.py) and by
`manage.py install_periodic_tasks`.

Installing creates what is missing and fixes a renamed task path, but never overwrites a
schedule or an enabled flag that staff changed in the admin: running it twice (or on
every deploy) changes nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils.module_loading import autodiscover_modules
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)

_DECLARED = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every: timedelta | None = None
    crontab: dict = field(default_factory=dict)  # e.g. {"minute": "0", "hour": "7"}
    description: str = ""

    def __post_init__(self):
        if bool(self.every) == bool(self.crontab):
            raise ValueError(f"{self.name}: give exactly one of `every` or `crontab`")


def declare(*periodics):
    for periodic in periodics:
        _DECLARED[periodic.name] = periodic


def declared():
    autodiscover_modules("periodic")
    return dict(_DECLARED)


def _get_or_create_first(model, **fields):
    """Like get_or_create, but tolerates the duplicates django-celery-beat itself makes
    (beat writes its default entries' crontabs on start): the oldest match is used."""
    return model.objects.filter(**fields).order_by("pk").first() or model.objects.create(**fields)


def _schedule_fields(periodic):
    if periodic.every:
        interval = _get_or_create_first(
            IntervalSchedule,
            every=int(periodic.every.total_seconds()),
            period=IntervalSchedule.SECONDS,
        )
        return {"interval": interval}
    crontab = _get_or_create_first(CrontabSchedule, **periodic.crontab, timezone="UTC")
    return {"crontab": crontab}


@transaction.atomic
def install_periodic_tasks():
    """Create missing schedules; returns (created, updated) names. A handful of queries
    whatever the number of tasks: it runs on every migrate and after every flush."""
    periodics = declared()
    existing = {task.name: task for task in PeriodicTask.objects.filter(name__in=periodics)}
    schedules = {}
    created, updated, missing = [], [], []
    for periodic in periodics.values():
        task = existing.get(periodic.name)
        if task is None:
            key = periodic.every or tuple(sorted(periodic.crontab.items()))
            if key not in schedules:
                schedules[key] = _schedule_fields(periodic)
            missing.append(
                PeriodicTask(
                    name=periodic.name,
                    task=periodic.task,
                    description=periodic.description,
                    **schedules[key],
                )
            )
            created.append(periodic.name)
        elif task.task != periodic.task:
            task.task = periodic.task
            task.save(update_fields=["task"])
            updated.append(periodic.name)
    if missing:
        # PeriodicTask.save's normalising leaves a new task's fields as they are; what it
        # adds is a change mark per row, made once here for all of them.
        PeriodicTask.objects.bulk_create(missing)
        PeriodicTasks.update_changed()
    return created, updated
