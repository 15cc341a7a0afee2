"""Work a row owes, recorded on the row itself.

Some work has no row of its own (rebuild a lesson's PDFs, make the LMS follow a student's
access): the row it is about records a "due since" time, set in the same transaction as
the change that makes the work due. The task enqueued on commit is the quick way; the work
clears the mark when it is done, unless something made it due again meanwhile; a sweeper
enqueues again the rows still marked after a grace, so a lost message (the broker down, a
worker killed) only delays the work. The work must be safe to run twice.
"""

from datetime import timedelta

from django.utils import timezone

# Long enough for the task enqueued on commit to have run; also how often work that keeps
# failing is tried again.
GRACE = timedelta(minutes=10)


def mark(queryset, field):
    """The rows of `queryset` owe their work from now (call it in the change's transaction)."""
    return queryset.update(**{field: timezone.now()})


def done(instance, field, seen):
    """The work `instance` owed since `seen` (its mark when the work began) is done: the mark
    goes, unless the row was marked again meanwhile. True if it went."""
    if seen is None:
        return False
    model = type(instance)
    cleared = model.objects.filter(pk=instance.pk, **{field: seen}).update(**{field: None})
    if cleared:
        setattr(instance, field, None)
    return bool(cleared)


def take_due(queryset, field, *, grace=GRACE, limit=500):
    """The sweeper's part: the pks of rows marked longer than `grace` ago, with their mark
    moved to now so the next sweep leaves them a grace while a worker is at it."""
    now = timezone.now()
    due = queryset.filter(**{f"{field}__lte": now - grace})
    pks = list(due.order_by(field).values_list("pk", flat=True)[:limit])
    if pks:
        due.filter(pk__in=pks).update(**{field: now})
    return pks
