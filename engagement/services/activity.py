"""Recording activity, and moving each student's progress with every event as it arrives.

Progress is never recomputed from history: the new events of a batch (one signal, one API
batch, one CSV chunk) are folded into each student's `StudentProgress` row under a row
lock taken on all the batch's students at once (in id order, so two batches cannot
deadlock). Two batches for the same student at once (two web processes, two workers)
therefore apply one after the other, and a lesson completed in both counts once.
Events reported late (older than the student's last active day) are stored and counted
but do not rewrite a streak already past them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from content.portal.services import PASS_RATIO
from engagement.models import (
    NOT_ACTIVITY,
    ActivityEvent,
    ActivityKind,
    CompletedLesson,
    StudentProgress,
)

# A quiz scored below the share that completes a lesson in the content app counts as
# failed (a risk factor): one rule for "passed" wherever the quiz was taken.
QUIZ_PASS_RATIO = PASS_RATIO
PROGRESS_FIELDS = [
    "last_activity_at",
    "lessons_completed",
    "quizzes_attempted",
    "quizzes_failed",
    "webinars_attended",
    "webinars_missed",
    "streak_days",
    "streak_last_day",
    "longest_streak",
    "events_count",
]


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
    """Store one event and apply it to the student's progress, in one transaction.

    Returns None when the sender already reported this `external_id` (nothing changes).
    """
    events = _record([activity])
    return events[0] if events else None


def record_activities(activities) -> tuple[int, int]:
    """Record many events (one API batch, one CSV chunk); returns (created, repeats)."""
    activities = list(activities)
    created = len(_record(activities))
    return created, len(activities) - created


def _record(activities):
    activities = sorted(activities, key=lambda activity: activity.occurred_at)
    known = _known_ids(activities)
    fresh = []
    for activity in activities:
        key = (activity.source, activity.external_id)
        if activity.external_id and key in known:
            continue
        known.add(key)  # the same id twice in one batch is stored once
        fresh.append(activity)
    if not fresh:
        return []
    zones = {activity.student.pk: activity.student.time_zone for activity in fresh}
    with transaction.atomic():
        events = _insert([_event(activity) for activity in fresh])
        _apply_to_progress(events, zones)
    return events


def _event(activity):
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
    return event


def _insert(events):
    """All at once; if a concurrent sender stored one of the ids meanwhile, one by one."""
    try:
        with transaction.atomic():
            return ActivityEvent.objects.bulk_create(events)
    except IntegrityError:
        pass
    stored = []
    for event in events:
        event.pk = None
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            if not event.external_id:
                raise
            continue
        stored.append(event)
    return stored


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


def _apply_to_progress(events, zones):
    student_ids = sorted({event.student_id for event in events})
    StudentProgress.objects.bulk_create(
        [StudentProgress(student_id=student_id) for student_id in student_ids],
        ignore_conflicts=True,
    )
    rows = {
        progress.student_id: progress
        for progress in StudentProgress.objects.select_for_update()
        .filter(student_id__in=student_ids)
        .order_by("student_id")
    }
    first_completions = _first_completions(events)
    for event in events:
        day = local_day(event.occurred_at, zones[event.student_id])
        fold(rows[event.student_id], event, day=day, new_lesson=id(event) in first_completions)
    # An upsert of rows that exist (we hold their locks): one INSERT ... ON CONFLICT DO
    # UPDATE, far cheaper than bulk_update's CASE per field and row.
    StudentProgress.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["student"],
        update_fields=[*PROGRESS_FIELDS, "updated_at"],
    )


def fold(progress, event, *, day, new_lesson):
    """Apply one event to a progress row (in memory)."""
    progress.events_count += 1
    if event.kind not in NOT_ACTIVITY:
        if progress.last_activity_at is None or progress.last_activity_at < event.occurred_at:
            progress.last_activity_at = event.occurred_at
        last = progress.streak_last_day
        if last is None or day > last:
            progress.streak_days = (
                progress.streak_days + 1 if last == day - timedelta(days=1) else 1
            )
            progress.streak_last_day = day
        progress.longest_streak = max(progress.longest_streak, progress.streak_days)
    if event.kind == ActivityKind.LESSON_COMPLETED and new_lesson:
        progress.lessons_completed += 1
    elif event.kind == ActivityKind.QUIZ_ATTEMPTED:
        progress.quizzes_attempted += 1
        progress.quizzes_failed += quiz_failed(event.metadata)
    elif event.kind == ActivityKind.WEBINAR_ATTENDED:
        progress.webinars_attended += 1
    elif event.kind == ActivityKind.WEBINAR_MISSED:
        progress.webinars_missed += 1


def quiz_failed(metadata):
    try:
        score, max_score = float(metadata["score"]), float(metadata["max_score"])
    except (KeyError, TypeError, ValueError):
        return False
    return max_score > 0 and score / max_score < QUIZ_PASS_RATIO


def _first_completions(events):
    """The completion events that finish a lesson for the first time. Runs under the
    students' progress locks, so the check and the insert cannot interleave."""
    refs = {}
    for event in events:
        if event.kind == ActivityKind.LESSON_COMPLETED:
            ref = lesson_ref(event)
            if ref and (event.student_id, ref) not in refs:
                refs[(event.student_id, ref)] = event
    if not refs:
        return set()
    done = set(
        CompletedLesson.objects.filter(
            student_id__in={student_id for student_id, _ in refs},
            lesson_ref__in={ref for _, ref in refs},
        ).values_list("student_id", "lesson_ref")
    )
    new = {key: event for key, event in refs.items() if key not in done}
    CompletedLesson.objects.bulk_create(
        [
            CompletedLesson(student_id=student_id, lesson_ref=ref, completed_at=event.occurred_at)
            for (student_id, ref), event in new.items()
        ]
    )
    return {id(event) for event in new.values()}
