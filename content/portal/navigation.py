"""The lessons section of the portal's navigation and the home's "continuar donde lo
dejaste" panel (registered in ContentConfig.ready)."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from content.models import Lesson
from content.portal import outline
from courseops.ai import transcripts
from students.portal.navigation import register_home_panel, register_section


def _counts(student):
    """(published lessons of the student's courses, those done, those not opened yet):
    one query; "done" counts as the outline does."""
    counts = Lesson.objects.filter(
        course__plans__students=student, published_at__isnull=False
    ).aggregate(
        total=Count("pk", distinct=True),
        done=Count("pk", distinct=True, filter=Q(pk__in=_done(student))),
        new=Count("pk", distinct=True, filter=~Q(pk__in=_opened(student))),
    )
    return counts["total"], counts["done"], counts["new"]


def _opened(student):
    return Lesson.objects.filter(progress__student=student).values("pk")


def _done(student):
    return Lesson.objects.filter(
        progress__student=student, progress__completed_at__isnull=False
    ).values("pk")


def summary(student):
    total, done, new = _counts(student)
    if not total:
        return str(_("Aún no hay lecciones publicadas"))
    line = _("%(done)d de %(total)d hechas") % {"done": done, "total": total}
    if new:
        line += " · " + ngettext("%(n)d nueva", "%(n)d nuevas", new) % {"n": new}
    return line


def badge(student):
    return _counts(student)[2] or None


def continue_panel(student):
    outlines = outline.course_outlines(student)
    item = outline.where_to_continue(outlines)
    if item is None:
        return None
    course = next(o for o in outlines if item in o.lessons)
    position = item.progress.position_seconds if item.progress else 0
    return {
        "item": item,
        "outline": course,
        "number": course.lessons.index(item) + 1,
        "position": transcripts.stamp(position) if position else "",
    }


def register():
    register_section(
        "lessons", _("Lecciones"), "content_portal:lessons", order=20, summary=summary, badge=badge
    )
    register_home_panel("continue", "content/portal/continue.html", continue_panel, order=10)
