"""Recording activity, and moving each student's progress with every event as it arrives.

Progress is never recomputed from history: each new event applies one conditional UPDATE
to the student's `StudentProgress` row. The UPDATE reads and writes the row in a single
statement, so two events for the same student at once (two web processes, two workers)
both count: PostgreSQL re-evaluates the second against the first's committed row.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest

from engagement.models import (
    NOT_ACTIVITY,
    ActivityEvent,
    ActivityKind,
    CompletedLesson,
    StudentProgress,
)

# A quiz scored below this share of its maximum counts as failed (a risk factor).
QUIZ_PASS_RATIO = 0.6


@dataclass
class Activity:
    """An event to record: `target` is one of our own rows, or None for an LMS's object
    (then `metadata` says `object_type` and `object_id`)."""

    student: object
    kind: str
    occurred_at: datetime
    source: str
    external_id: str = ""
    target: models.Model | None = None
    metadata: dict = field(default_factory=dict)


def record_activity(activity: Activity) -> ActivityEvent | None:
    """Store the event and apply it to the student's progress, in one transaction.

    Returns None when the sender already reported this `external_id` (nothing changes).
    """
    event = ActivityEvent(
        student=activity.student,
        kind=activity.kind,
        occurred_at=activity.occurred_at,
        source=activity.source,
        external_id=activity.external_id or "",
        metadata=activity.metadata or {},
    )
    if activity.target is not None:
        event.content_type = ContentType.objects.get_for_model(activity.target)
        event.object_id = str(activity.target.pk)
    with transaction.atomic():
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            if not event.external_id:
                raise
            return None
        _apply_to_progress(event, time_zone=activity.student.time_zone)
    return event


def record_activities(activities) -> tuple[int, int]:
    """Record many events (one API batch, one CSV chunk); returns (created, repeats).

    Already-known sender ids are found with one query first, so a retried batch costs one
    query instead of a failed insert per event.
    """
    activities = sorted(activities, key=lambda a: a.occurred_at)
    known = _known_ids(activities)
    created = repeats = 0
    with transaction.atomic():
        for activity in activities:
            if (activity.source, activity.external_id) in known:
                repeats += 1
                continue
            if record_activity(activity) is None:
                repeats += 1
            else:
                created += 1
            if activity.external_id:
                known.add((activity.source, activity.external_id))
    return created, repeats


def _known_ids(activities):
    ids_by_source = {}
    for activity in activities:
        if activity.external_id:
            ids_by_source.setdefault(activity.source, set()).add(activity.external_id)
    if not ids_by_source:
        return set()
    condition = Q()
    for source, ids in ids_by_source.items():
        condition |= Q(source=source, external_id__in=ids)
    return set(ActivityEvent.objects.filter(condition).values_list("source", "external_id"))


def lesson_ref(event: ActivityEvent) -> str:
    """What identifies the lesson across reports: our row, or the LMS's id for it."""
    if event.content_type_id:
        return f"ct{event.content_type_id}:{event.object_id}"
    object_id = str(event.metadata.get("object_id") or event.metadata.get("lesson_id") or "")
    return f"{event.source}:{object_id}"[:120] if object_id else ""


def local_day(when, time_zone):
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).date()


def _apply_to_progress(event, *, time_zone):
    changes = {"events_count": F("events_count") + 1}
    if event.kind not in NOT_ACTIVITY:
        changes.update(
            _activity_changes(event.occurred_at, local_day(event.occurred_at, time_zone))
        )
    changes.update(_kind_changes(event))
    updated = StudentProgress.objects.filter(student_id=event.student_id).update(**changes)
    if not updated:
        _create_progress(event.student_id)
        StudentProgress.objects.filter(student_id=event.student_id).update(**changes)


def _create_progress(student_id):
    try:
        with transaction.atomic():
            StudentProgress.objects.create(student_id=student_id)
    except IntegrityError:
        pass  # another event for this student created it first


def _activity_changes(at, day):
    yesterday = day - timedelta(days=1)
    # Every right-hand side reads the row as it was before this UPDATE.
    streak = Case(
        When(streak_last_day=day, then=F("streak_days")),
        When(streak_last_day=yesterday, then=F("streak_days") + 1),
        When(streak_last_day__gt=day, then=F("streak_days")),  # an older event, late
        default=Value(1),
        output_field=models.PositiveIntegerField(),
    )
    return {
        "last_activity_at": Case(
            When(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=at), then=Value(at)),
            default=F("last_activity_at"),
            output_field=models.DateTimeField(),
        ),
        "streak_days": streak,
        "streak_last_day": Case(
            When(Q(streak_last_day__isnull=True) | Q(streak_last_day__lt=day), then=Value(day)),
            default=F("streak_last_day"),
            output_field=models.DateField(),
        ),
        "longest_streak": Greatest(F("longest_streak"), streak),
    }


def _kind_changes(event):
    if event.kind == ActivityKind.LESSON_COMPLETED:
        if _first_completion(event):
            return {"lessons_completed": F("lessons_completed") + 1}
        return {}
    if event.kind == ActivityKind.QUIZ_ATTEMPTED:
        changes = {"quizzes_attempted": F("quizzes_attempted") + 1}
        if quiz_failed(event.metadata):
            changes["quizzes_failed"] = F("quizzes_failed") + 1
        return changes
    if event.kind == ActivityKind.WEBINAR_ATTENDED:
        return {"webinars_attended": F("webinars_attended") + 1}
    if event.kind == ActivityKind.WEBINAR_MISSED:
        return {"webinars_missed": F("webinars_missed") + 1}
    return {}


def quiz_failed(metadata):
    try:
        score, max_score = float(metadata["score"]), float(metadata["max_score"])
    except (KeyError, TypeError, ValueError):
        return False
    return max_score > 0 and score / max_score < QUIZ_PASS_RATIO


def _first_completion(event):
    ref = lesson_ref(event)
    if not ref:
        return False
    try:
        with transaction.atomic():
            CompletedLesson.objects.create(
                student_id=event.student_id, lesson_ref=ref, completed_at=event.occurred_at
            )
    except IntegrityError:
        return False
    return True
