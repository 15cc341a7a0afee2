"""The student page's engagement: risk and its reasons, totals, and the activity timeline."""

from django.urls import reverse
from django.utils.translation import gettext as _

from courseops.core.display import number
from engagement.drip.models import DripSend
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


def _drip_status(send):
    """ "Enviado", "No enviado" or, while drafted, where its draft stands (in review, in
    shadow...)."""
    if send.status == DripSend.Status.DRAFTED and send.draft is not None:
        return f"{send.get_status_display()}: {send.draft.get_status_display()}"
    if send.status == DripSend.Status.SENT and send.message is not None:
        return f"{send.get_status_display()} ({send.message.get_status_display().lower()})"
    return send.get_status_display()


def _drip(student):
    sends = (
        DripSend.objects.filter(student=student)
        .select_related("draft", "message")
        .order_by("day", "pk")
    )
    return Section(
        title=_("Bienvenida por etapas"),
        headers=[_("Día"), _("Objetivo"), _("Estado"), _("Tocaba"), _("Enviado"), _("Motivo")],
        rows=[
            [
                s.day,
                s.get_goal_display(),
                _drip_status(s),
                when(s.due_at),
                when(s.sent_at),
                s.skipped_reason or "—",
            ]
            for s in sends
        ],
        empty=_("Ningún mensaje de la bienvenida por etapas todavía."),
    )


def register():
    register_section(25, _drip)
    register_section(40, _risk)
    register_section(50, _activity)
