"""Work a row owes, recorded on the row itself.

Some work has no row of its own (rebuild a lesson's PDFs, make the LMS follow a student's
access): the row it is about records a "due since" time, set in the same transaction as
the change that makes the work due. The task enqueued on commit is the quick way; the work
clears the mark when it is done, unless something made it due again meanwhile; a sweeper
enqueues again the rows still marked after a grace, so a lost message (the broker down, a
worker killed) only delays the work. The work must be safe to run twice.

Work that fails says so (`failed`): a permanent failure clears the mark, so no sweeper
retries it, and an audit entry on the row tells staff what broke; a passing one is tried
again later and later (`liveness.retry_delay`), counted in the row's `<field>` attempts
column (`plan_grant_due_since` -> `plan_grant_due_attempts`).

A model with marks derives from `courseops.core.models.MarkedModel`, whose plain `save()`
leaves the marks alone: only this module writes them.
"""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from courseops.audit.services import log_action
from courseops.core.liveness import retry_delay
from courseops.core.models import attempts_field

# Long enough for the task enqueued on commit to have run.
GRACE = timedelta(minutes=10)
# The longest wait between two tries of work that keeps failing for a passing reason.
MAX_RETRY_DELAY = timedelta(days=1)


def _with_counter(model, field, value, **changes):
    """`changes` with `field` set to `value` and, on a model that counts the mark's failures
    (`failed`), its counter back to zero."""
    counter = attempts_field(field)
    if any(f.name == counter for f in model._meta.get_fields()):
        changes[counter] = 0
    return {field: value, **changes}


def mark(queryset, field):
    """The rows of `queryset` owe their work from now (call it in the change's transaction);
    a mark that counts its failures (`failed`) starts counting again."""
    return queryset.update(**_with_counter(queryset.model, field, timezone.now()))


def done(instance, field, seen):
    """The work `instance` owed since `seen` (its mark when the work began) is done: the mark
    goes (and the failures counted before it), unless the row was marked again meanwhile.
    True if it went."""
    if seen is None:
        return False
    model = type(instance)
    changes = _with_counter(model, field, None)
    cleared = model.objects.filter(pk=instance.pk, **{field: seen}).update(**changes)
    if cleared:
        for name, value in changes.items():
            setattr(instance, name, value)
    return bool(cleared)


def failed(instance, field, seen, *, error, permanent):
    """The work `instance` owed since `seen` failed with `error`. Permanent: the mark goes
    (trying again cannot help). Passing: the mark moves so the sweeper tries again after
    `retry_delay` of the failures so far. Either way an audit entry on the row says so;
    nothing changes if the row was marked again meanwhile (that new work gets its tries)."""
    if seen is None:
        return
    model = type(instance)
    counter = attempts_field(field)
    attempts = getattr(instance, counter) + 1
    if permanent:
        changes = _with_counter(model, field, None)
    else:
        due = timezone.now() + retry_delay(attempts, cap=MAX_RETRY_DELAY) - GRACE
        changes = {field: due, counter: F(counter) + 1}
    if model.objects.filter(pk=instance.pk, **{field: seen}).update(**changes):
        log_action(
            instance,
            f"{model._meta.app_label}.{model._meta.model_name}.pending_failed",
            data={
                "work": str(model._meta.get_field(field).verbose_name),
                "error": str(error)[:500],
                "permanent": permanent,
                "attempts": attempts,
            },
        )


def take_due(queryset, field, *, grace=GRACE, limit=500):
    """The sweeper's part: the pks of rows marked longer than `grace` ago, with their mark
    moved to now so the next sweep leaves them a grace while a worker is at it."""
    now = timezone.now()
    due = queryset.filter(**{f"{field}__lte": now - grace})
    pks = list(due.order_by(field).values_list("pk", flat=True)[:limit])
    if pks:
        due.filter(pk__in=pks).update(**{field: now})
    return pks


def enqueue_owed(owed, tasks):
    """A sweeper over a table of (model, mark, name of its task in the `tasks` module):
    each row marked longer than the grace is enqueued again. Returns how many, by mark."""
    counts = {}
    for model, field, task_name in owed:
        pks = take_due(model.objects.all(), field)
        for pk in pks:
            getattr(tasks, task_name).delay(pk)
        counts[field] = len(pks)
    return counts
