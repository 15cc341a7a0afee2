"""Scores from real actions, decaying with time (see `SCORE_EPOCH` in models).

Opens never score: Apple's privacy proxy and link scanners open mail nobody read.
"""

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from marketing.models import Action, Activity, Lead, score_scale

POINTS = {
    Action.CLICKED: 3,
    Action.VISITED_LANDING: 2,
    Action.WEBINAR_REGISTERED: 10,
    Action.WEBINAR_ATTENDED: 20,
    Action.CHECKOUT_STARTED: 15,
    Action.SIGNED_IN: 0,  # a human signal for the best hour, not interest in buying
}


def record_action(*, lead, action, ref, at=None):
    """Count `action` for `lead` once per `ref` (a retried event scores nothing more).

    Returns the new Activity, or None if that action on that ref was already counted.
    """
    at = at or timezone.now()
    points = POINTS[action]
    weight = points * score_scale(at)
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                lead=lead,
                action=action,
                ref=f"{action}:{ref}"[:200],
                points=points,
                weight=weight,
                occurred_at=at,
            )
    except IntegrityError:
        return None
    Lead.objects.filter(pk=lead.pk).update(
        score_points=F("score_points") + weight,
        last_seen_at=Greatest(F("last_seen_at"), at),
    )
    return activity


def rebuild_scores(*, batch_size=5000):
    """Recount every score from the activities with today's points and half-life.

    Activities are re-weighted in batches (the weight needs the half-life, done in
    Python), then all contacts are updated by one UPDATE with a subquery.
    """
    batch = []
    activities = Activity.objects.only("pk", "action", "occurred_at").order_by("pk")
    for activity in activities.iterator(chunk_size=batch_size):
        activity.points = POINTS[activity.action]
        activity.weight = activity.points * score_scale(activity.occurred_at)
        batch.append(activity)
        if len(batch) >= batch_size:
            Activity.objects.bulk_update(batch, ["points", "weight"])
            batch = []
    if batch:
        Activity.objects.bulk_update(batch, ["points", "weight"])
    total = (
        Activity.objects.filter(lead=OuterRef("pk"))
        .values("lead")
        .annotate(total=Sum("weight"))
        .values("total")
    )
    return Lead.objects.update(
        score_points=Coalesce(Subquery(total), Value(0.0), output_field=FloatField())
    )
