"""The student page's engagement: risk and its reasons, totals, and the activity timeline."""

from django.urls import reverse
from django.utils.translation import gettext as _

from courseops.core.display import number
from engagement.models import ActivityEvent, RiskScore, StudentProgress
from students.student_page import ROWS, Section, register_section, when


def _risk(student):
    risk = RiskScore.objects.filter(student=student).first()
    progress = StudentProgress.objects.filter(student=student).first()
    facts = [
        (_("Riesgo"), f"{risk.get_level_display()} ({risk.score})" if risk else _("Sin calcular")),
        (_("Calculado"), when(risk.computed_at) if risk else "—"),
    ]
    if progress:
        facts += [
            (_("Última actividad"), when(progress.last_activity_at)),
            (_("Lecciones completadas"), number(progress.lessons_completed)),
            (
                _("Webinars asistidos / perdidos"),
                f"{progress.webinars_attended} / {progress.webinars_missed}",
            ),
            (_("Racha"), _("%(n)s días") % {"n": number(progress.streak_days)}),
        ]
    return Section(
        title=_("Riesgo de abandono y sus motivos"),
        facts=facts,
        headers=[_("Motivo"), _("Puntos")],
        rows=[
            [reason, factor.get("points", "—")]
            for reason, factor in zip(risk.reason_list, risk.factors, strict=True)
        ]
        if risk
        else [],
        empty=_("Ningún motivo de riesgo."),
    )


def _activity(student):
    events = ActivityEvent.objects.filter(student=student).order_by("-occurred_at", "-id")[:ROWS]
    return Section(
        title=_("Actividad"),
        headers=[_("Cuándo"), _("Qué"), _("Origen")],
        rows=[[when(e.occurred_at), e.get_kind_display(), e.get_source_display()] for e in events],
        empty=_("Sin actividad registrada."),
        more_url=reverse("admin:engagement_activityevent_changelist") + f"?q={student.email}",
    )


def register():
    register_section(40, _risk)
    register_section(50, _activity)
