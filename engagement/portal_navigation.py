"""Engagement's sections of the portal's navigation (registered in EngagementConfig.ready):
progress, assignments (badge: how many are overdue) and questions."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from engagement.services.assignments import pending_and_overdue
from engagement.services.progress import progress_for
from students.portal.navigation import register_section


def progress_summary(student):
    progress = progress_for(student)
    if not progress.lessons_total:
        return str(_("Tu progreso aparecerá con tus primeras lecciones"))
    return _("%(percent)d %% completado, %(done)d de %(total)d lecciones") % {
        "percent": progress.percent,
        "done": progress.lessons_completed,
        "total": progress.lessons_total,
    }


def assignments_summary(student):
    pending, overdue = pending_and_overdue(student)
    if overdue:
        return ngettext("%(n)d tarea vencida", "%(n)d tareas vencidas", overdue) % {"n": overdue}
    if pending:
        return ngettext("%(n)d tarea pendiente", "%(n)d tareas pendientes", pending) % {
            "n": pending
        }
    return str(_("Nada pendiente"))


def assignments_badge(student):
    return pending_and_overdue(student)[1] or None


def register():
    register_section(
        "progress",
        _("Mi progreso"),
        "engagement:portal-progress",
        order=40,
        summary=progress_summary,
    )
    register_section(
        "assignments",
        _("Tareas"),
        "engagement:portal-assignments",
        order=50,
        summary=assignments_summary,
        badge=assignments_badge,
    )
    register_section("questions", _("Preguntas"), "engagement:portal-questions", order=60)
