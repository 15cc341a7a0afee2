"""Publishing a lesson to its course's students, and announcing it once.

Publishing sets `published_at` once (a conditional UPDATE) and sends `lesson_published`
only then. The announcement waits `CONTENT_DIGEST_MINUTES` so lessons of one course
published together go out as one email per student; every email has an idempotency key
per digest and student, so a digest interrupted half-way is finished without duplicates.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from content.models import Course, Lesson, PublishNotice
from content.signals import lesson_published
from courseops.audit.services import log_action
from courseops.messaging.models import Category, OverBudget
from courseops.messaging.services import queue_email, queue_push, subscribed_addresses
from students.models import Student
from students.portal.services import ALLOWED_STATUSES


def publish_lesson(*, lesson, user=None):
    """Make the lesson visible to its students; True the first time only."""
    now = timezone.now()
    with transaction.atomic():
        published = Lesson.objects.filter(pk=lesson.pk, published_at__isnull=True).update(
            published_at=now, updated_at=now
        )
        lesson.refresh_from_db(fields=["published_at"])
        if published:
            log_action(lesson, "content.lesson.published", user=user)
            transaction.on_commit(
                lambda: lesson_published.send(sender=Lesson, lesson=lesson), robust=True
            )
    return bool(published)


def notice_for(*, lesson):
    notice, _created = PublishNotice.objects.get_or_create(
        lesson=lesson, defaults={"course": lesson.course}
    )
    return notice


def course_students(course):
    return Student.objects.filter(plan__courses=course, status__in=ALLOWED_STATUSES).distinct()


def lesson_url(lesson):
    return settings.SITE_URL + reverse("content_portal:lesson", kwargs={"pk": lesson.pk})


def announce_due(*, now=None):
    """Announce the notices whose digest window has passed; safe to run twice.
    Returns the number of emails queued (existing keys count as already sent)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CONTENT_DIGEST_MINUTES)
    _form_batches(cutoff)
    queued = 0
    batches = (
        PublishNotice.objects.filter(announced_at__isnull=True, batch__isnull=False)
        .values_list("batch", "course_id")
        .distinct()[: settings.CONTENT_SWEEP_BATCH]
    )
    for batch, course_id in list(batches):
        queued += _announce_batch(batch, course_id)
    return queued


def _form_batches(cutoff):
    """Fix which lessons go in each course's next digest: those pending when its oldest
    pending notice has waited the whole window."""
    due = (
        PublishNotice.objects.filter(announced_at__isnull=True, batch__isnull=True)
        .values("course_id")
        .annotate(first=Min("pk"), oldest=Min("created_at"))
        .filter(oldest__lte=cutoff)
    )
    for row in list(due):
        PublishNotice.objects.filter(
            course_id=row["course_id"], announced_at__isnull=True, batch__isnull=True
        ).update(batch=row["first"])


def _push_lessons(student, course, lessons, batch, portal_url):
    """The digest as a push notice too, to the browsers the student subscribed. A nudge,
    not a record (the email is): engagement, dropped if over the person's budget."""
    with translation.override(student.language or None):
        if len(lessons) == 1:
            body = _("Nueva lección: %(title)s") % {"title": lessons[0]["title"]}
        else:
            body = ngettext(
                "%(count)s lección nueva",
                "%(count)s lecciones nuevas",
                len(lessons),
            ) % {"count": len(lessons)}
    queue_push(
        to=student.email,
        idempotency_key=f"content.lessons_published.{batch}.{student.pk}.push",
        title=course.title,
        body=body,
        url=lessons[0]["url"] if len(lessons) == 1 else portal_url,
        category=Category.ENGAGEMENT,
        over_budget=OverBudget.DROP,
        language=student.language,
        related=course,
    )


def _announce_batch(batch, course_id):
    course = Course.objects.get(pk=course_id)
    notices = PublishNotice.objects.filter(batch=batch).select_related("lesson")
    lessons = [
        {"title": n.lesson.title, "url": lesson_url(n.lesson), "order": n.lesson.order}
        for n in notices
    ]
    lessons.sort(key=lambda item: item["order"])
    portal_url = settings.SITE_URL + reverse("content_portal:lessons")
    count = 0
    students = course_students(course)
    pushable = subscribed_addresses(students.values("email"))
    for student in students.iterator():
        if student.email.lower() in pushable:
            _push_lessons(student, course, lessons, batch, portal_url)
        queue_email(
            to=student.email,
            idempotency_key=f"content.lessons_published.{batch}.{student.pk}",
            template="content/lessons_published",
            context={
                "name": student.first_name,
                "course": course.title,
                "lessons": lessons,
                "portal_url": portal_url,
            },
            language=student.language,
            related=course,
        )
        count += 1
    PublishNotice.objects.filter(batch=batch, announced_at__isnull=True).update(
        announced_at=timezone.now(), recipients=count
    )
    log_action(course, "content.lessons.announced", data={"batch": batch, "students": count})
    return count
