"""The lessons section of the portal's navigation (registered in ContentConfig.ready)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from content.models import Lesson
from students.portal.navigation import register_section


def _counts(student):
    """(published lessons of the student's courses, those not opened yet): one query."""
    counts = Lesson.objects.filter(
        course__plans__students=student, published_at__isnull=False
    ).aggregate(
        total=Count("pk", distinct=True),
        new=Count("pk", distinct=True, filter=~Q(pk__in=_opened(student))),
    )
    return counts["total"], counts["new"]


def _opened(student):
    return Lesson.objects.filter(progress__student=student).values("pk")


def summary(student):
    total, new = _counts(student)
    if new:
        return ngettext("%(n)d lección nueva", "%(n)d lecciones nuevas", new) % {"n": new}
    if total:
        return ngettext("%(n)d lección, todas vistas", "%(n)d lecciones, todas vistas", total) % {
            "n": total
        }
    return str(_("Aún no hay lecciones publicadas"))


def badge(student):
    return _counts(student)[1] or None


def register():
    register_section(
        "lessons", _("Lecciones"), "content_portal:lessons", order=20, summary=summary, badge=badge
    )
