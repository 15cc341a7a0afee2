"""The content app's outbound webhook event (courseops.outbound), from its own signal."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from content.signals import lesson_published
from courseops.outbound.catalogue import (
    DATETIME,
    ID,
    INTEGER,
    TEXT,
    EventType,
    iso,
    obj,
    register_event,
)
from courseops.outbound.services.announce import announce

register_event(
    EventType(
        name="lesson.published",
        label=_("Lección publicada"),
        description=_("Los materiales de una lección se publicaron en su curso."),
        schema=obj(
            {
                "lesson": obj(
                    {
                        "id": ID,
                        "title": TEXT,
                        "order": INTEGER,
                        "language": TEXT,
                        "published_at": DATETIME,
                    }
                ),
                "course": obj({"id": ID, "slug": TEXT, "title": TEXT}),
            }
        ),
        example={
            "lesson": {
                "id": 214,
                "title": "RAG: respuestas con tus propios documentos",
                "order": 3,
                "language": "es",
                "published_at": "2026-11-24T15:00:00Z",
            },
            "course": {"id": 12, "slug": "ia-aplicada", "title": "IA aplicada"},
        },
    )
)


@receiver(lesson_published, dispatch_uid="content.webhook_lesson_published")
def announce_lesson_published(sender, lesson, **kwargs):
    course = lesson.course
    announce(
        "lesson.published",
        lambda: {
            "lesson": {
                "id": lesson.pk,
                "title": lesson.title,
                "order": lesson.order,
                "language": lesson.language,
                "published_at": iso(lesson.published_at),
            },
            "course": {"id": course.pk, "slug": course.slug, "title": course.title},
        },
    )
