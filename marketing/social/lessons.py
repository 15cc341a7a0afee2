"""Social drafts straight from a published lesson: marketing listens to content's
`lesson_published` (and staff can ask from the admin) and reads the lesson's public
fields only (title, course, approved summary and key points; never the transcript).

One brief per lesson (unique), so one set of drafts per lesson: asking again returns the
drafts already made, and drafts again only after staff rejected them."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from content.models import Lesson
from courseops.ai import AIError
from courseops.core import pending
from courseops.reviews.models import Draft, DraftStatus
from marketing.landing.models import LandingPage
from marketing.social.drafts import draft_from_brief
from marketing.social.models import SocialBrief
from students.models import Language

# A brief this young without drafts is being drafted by another worker right now.
DRAFTING_LEASE = timedelta(minutes=10)
# Past this, a lesson whose drafts never came is not worth posting about any more.
MISSED_WINDOW = timedelta(days=2)
MISSED_BATCH = 100
KEY_POINTS = 3


def lesson_link(lesson):
    """Where a post about the lesson sends people: a published landing page selling a
    plan that includes the lesson's course, else the lesson in the portal (students)."""
    page = (
        LandingPage.objects.filter(published=True, plan__courses=lesson.course_id)
        .order_by("-created_at")
        .values_list("slug", flat=True)
        .first()
    )
    path = (
        reverse("landing:page", args=[page])
        if page
        else reverse("content_portal:lesson", args=[lesson.pk])
    )
    return settings.SITE_URL + path


def lesson_details(lesson):
    """The approved summary and first key points: all the AI may cite."""
    materials = lesson.materials or {}
    points = [
        str(point.get("point", "")) if isinstance(point, dict) else str(point)
        for point in materials.get("key_points", [])[:KEY_POINTS]
    ]
    lines = [f"Curso: {lesson.course.title}.", str(materials.get("summary", "")).strip()]
    lines += [f"- {point}" for point in points if point.strip()]
    return "\n".join(line for line in lines if line)


def _drafts(brief):
    return Draft.objects.filter(
        kind="social_post",
        content_type=ContentType.objects.get_for_model(SocialBrief),
        object_id=str(brief.pk),
    )


def draft_from_lesson(*, lesson, user=None):
    """The lesson's `social_post` draft (2 variants per network), made once. None for an
    unpublished lesson, or while another worker is drafting it."""
    if not lesson.is_published:
        return None
    language = lesson.language if lesson.language in Language.values else Language.SPANISH
    brief, created = SocialBrief.objects.get_or_create(
        lesson=lesson,
        defaults={
            "topic": lesson.title[:200],
            "details": lesson_details(lesson),
            "link": lesson_link(lesson),
            "language": language,
        },
    )
    if created:
        try:
            return draft_from_brief(brief=brief, user=user)
        except Exception as exc:
            # A passing failure: the next attempt (a task retry, the sweeper, staff) starts
            # afresh. A permanent one keeps the brief, so the sweeper does not ask the AI
            # again and again; staff can still ask from the admin.
            if not (isinstance(exc, AIError) and exc.permanent):
                brief.delete()
            raise
    drafts = _drafts(brief)
    live = drafts.exclude(status=DraftStatus.REJECTED).first()
    if live is not None:
        return live
    if not drafts.exists() and brief.created_at > timezone.now() - DRAFTING_LEASE:
        return None  # its first drafting is under way elsewhere
    return draft_from_brief(brief=brief, user=user)


def draft_missed_lessons(*, now=None):
    """The sweeper: lessons published within `MISSED_WINDOW` (and longer ago than the task
    needs) that have no brief yet: the task asked for on publish was lost, or its drafting
    kept failing. Enqueued again (drafting makes one brief per lesson); returns how many.
    Publishing sets `published_at` in its own transaction, so this also finds a lesson
    whose announcement never reached marketing."""
    from marketing.tasks import draft_lesson_social_posts

    now = now or timezone.now()
    briefed = SocialBrief.objects.filter(lesson=OuterRef("pk"))
    ids = list(
        Lesson.objects.filter(
            published_at__gt=now - MISSED_WINDOW, published_at__lte=now - pending.GRACE
        )
        .filter(~Exists(briefed))
        .values_list("pk", flat=True)[:MISSED_BATCH]
    )
    for lesson_id in ids:
        draft_lesson_social_posts.delay(lesson_id)
    return len(ids)


def draft_lesson_by_id(lesson_id):
    lesson = Lesson.objects.select_related("course").filter(pk=lesson_id).first()
    return draft_from_lesson(lesson=lesson) if lesson is not None else None
