"""Staff pages for engagement. Lists load in a constant number of queries (every FK shown
is in `list_select_related`, no per-row counts) and skip the full count on the big tables."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.core.admin import RecordAdmin
from courseops.core.tables import table
from engagement.models import (
    ActivityEvent,
    Assignment,
    Certificate,
    Intervention,
    KnowledgeArticle,
    Nudge,
    NudgeRule,
    PlanCurriculum,
    Question,
    RiskScore,
    RiskWeights,
    StudentProgress,
    Submission,
    WeeklyReport,
)
from engagement.services.curriculum import refresh_curricula
from engagement.services.faq import article_from_question
from engagement.services.risk import outcomes_by_kind
from engagement.services.weekly_report import email_weekly_report


@admin.register(ActivityEvent)
class ActivityEventAdmin(RecordAdmin):
    list_display = ["occurred_at", "student", "kind", "source", "object_id"]
    list_filter = ["kind", "source"]
    list_select_related = ["student"]
    search_fields = ["student__email", "external_id"]
    show_full_result_count = False
    raw_id_fields = ["student"]


@admin.register(StudentProgress)
class StudentProgressAdmin(RecordAdmin):
    """The student's engagement page: progress, risk and why, activity timeline, nudges,
    questions and submissions (a few queries for the page, whatever the history)."""

    fields = [
        "student", "last_activity_at", "lessons_completed", "quizzes_attempted",
        "quizzes_failed", "webinars_attended", "webinars_missed", "streak_days",
        "longest_streak", "risk", "timeline", "nudges", "questions", "submissions",
    ]  # fmt: skip
    readonly_fields = fields
    list_display = [
        "student",
        "last_activity_at",
        "lessons_completed",
        "webinars_attended",
        "webinars_missed",
        "streak_days",
        "longest_streak",
    ]
    list_select_related = ["student"]
    search_fields = ["student__email", "student__full_name"]
    ordering = ["-last_activity_at"]
    show_full_result_count = False

    @admin.display(description=_("riesgo"))
    def risk(self, obj):
        risk = RiskScore.objects.filter(student_id=obj.student_id).first()
        if risk is None:
            return "-"
        return f"{risk.score} ({risk.get_level_display()}): {risk.reasons or '-'}"

    @admin.display(description=_("actividad reciente"))
    def timeline(self, obj):
        events = ActivityEvent.objects.filter(student_id=obj.student_id)[:30]
        return table(
            [_("cuándo"), _("tipo"), _("origen")],
            [(e.occurred_at, e.get_kind_display(), e.get_source_display()) for e in events],
        )

    @admin.display(description=_("avisos"))
    def nudges(self, obj):
        rows = Nudge.objects.filter(student_id=obj.student_id).select_related("rule")[:20]
        return table(
            [_("creado"), _("regla"), _("estado")],
            [(n.created_at, n.rule.name, n.get_status_display()) for n in rows],
        )

    @admin.display(description=_("preguntas"))
    def questions(self, obj):
        rows = Question.objects.filter(student_id=obj.student_id)[:20]
        return table(
            [_("recibida"), _("pregunta"), _("estado")],
            [(q.created_at, q.text[:80], q.get_status_display()) for q in rows],
        )

    @admin.display(description=_("entregas"))
    def submissions(self, obj):
        rows = Submission.objects.filter(student_id=obj.student_id).select_related("assignment")
        return table(
            [_("entregada"), _("tarea"), _("nota")],
            [(s.submitted_at, s.assignment.title, s.score if s.score is not None else "-")
             for s in rows[:20]],
        )  # fmt: skip


@admin.register(RiskScore)
class RiskScoreAdmin(RecordAdmin):
    """The at-risk list, highest first, with the reasons in words."""

    list_display = ["student", "score", "level", "reasons", "computed_at"]
    list_filter = ["level"]
    list_select_related = ["student"]
    search_fields = ["student__email", "student__full_name"]
    ordering = ["-score"]
    show_full_result_count = False

    @admin.display(description=_("motivos"))
    def reasons(self, obj):
        return obj.reasons


@admin.register(Intervention)
class InterventionAdmin(RecordAdmin):
    list_display = ["created_at", "student", "kind", "score", "applied_at", "came_back"]
    list_filter = ["kind", "came_back", "week"]
    list_select_related = ["student"]
    search_fields = ["student__email"]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        outcomes = outcomes_by_kind()
        labels = dict(Intervention.Kind.choices)
        summary = [
            _("%(kind)s: volvieron %(back)s de %(total)s")
            % {"kind": labels.get(kind, kind), "back": back, "total": total}
            for kind, (total, back) in sorted(outcomes.items())
        ]
        if summary:
            self.message_user(request, "; ".join(summary), messages.INFO)
        return super().changelist_view(request, extra_context)


@admin.register(NudgeRule)
class NudgeRuleAdmin(ModelAdmin):
    list_display = ["name", "kind", "threshold", "cooldown_days", "quiet_hours", "sms", "active"]
    list_editable = ["active"]
    list_filter = ["kind", "sms", "active"]
    filter_horizontal = ["plans"]

    @admin.display(description=_("silencio"))
    def quiet_hours(self, obj):
        return f"{obj.quiet_start_hour:02d}:00–{obj.quiet_end_hour:02d}:00"


@admin.register(Nudge)
class NudgeAdmin(RecordAdmin):
    list_display = ["created_at", "student", "rule", "occasion", "status", "sent_at"]
    list_filter = ["status", "rule"]
    list_select_related = ["student", "rule"]
    search_fields = ["student__email"]
    show_full_result_count = False

    @admin.display(description=_("ocasión"), ordering="occurrence")
    def occasion(self, obj):
        return obj.occasion_label()


@admin.register(PlanCurriculum)
class PlanCurriculumAdmin(ModelAdmin):
    """The total is recounted from the content app; staff add an external LMS's lessons."""

    list_display = ["plan", "lessons_total", "external_lessons"]
    list_select_related = ["plan"]
    readonly_fields = ["lessons_total"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_curricula(plan_ids=[obj.plan_id])


@admin.register(RiskWeights)
class RiskWeightsAdmin(ModelAdmin):
    """One row (saving always writes row 1): the weights the daily scoring reads."""

    list_display = ["__str__", "medium_from", "high_from", "updated_at"]


@admin.register(WeeklyReport)
class WeeklyReportAdmin(RecordAdmin):
    list_display = ["week", "starts_at", "pdf_link", "emailed_at"]
    readonly_fields = ["week", "starts_at", "ends_at", "summary", "figures", "pdf", "emailed_at"]
    actions = ["email_again"]

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.pdf.url, obj.pdf.name) if obj.pdf else "-"

    def has_send_permission(self, request):
        # Reports are read-only records; sending one again is changing it.
        return request.user.has_perm("engagement.change_weeklyreport")

    @admin.action(
        description=_("Enviar al equipo (solo a quien no lo recibió)"), permissions=["send"]
    )
    def email_again(self, request, queryset):
        for report in queryset:
            email_weekly_report(report=report)
        self.message_user(request, _("Informes en cola."), messages.SUCCESS)


@admin.register(Assignment)
class AssignmentAdmin(ModelAdmin):
    list_display = ["title", "plan", "max_score", "due_at", "due_days_after_enrolment", "active"]
    list_select_related = ["plan"]
    list_filter = ["active", "plan"]
    search_fields = ["title"]


@admin.register(Submission)
class SubmissionAdmin(RecordAdmin):
    list_display = ["submitted_at", "student", "assignment", "late", "status", "score"]
    list_select_related = ["student", "assignment"]
    list_filter = ["status", "late", "assignment"]
    search_fields = ["student__email"]
    show_full_result_count = False


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(ModelAdmin):
    list_display = ["question", "language", "source", "active", "updated_at"]
    list_filter = ["language", "source", "active"]
    search_fields = ["question", "answer"]


@admin.register(Question)
class QuestionAdmin(RecordAdmin):
    """The questions queue: what came in, how it was answered, and votes."""

    list_display = ["created_at", "email", "short_text", "channel", "status", "helpful"]
    list_filter = ["status", "channel", "helpful"]
    search_fields = ["email", "text"]
    show_full_result_count = False
    actions = ["make_article"]

    @admin.display(description=_("pregunta"))
    def short_text(self, obj):
        return obj.text[:80]

    def has_publish_permission(self, request):
        # Questions are read-only records; the action writes a knowledge-base article.
        return request.user.has_perm("engagement.add_knowledgearticle")

    @admin.action(
        description=_("Crear artículo con la respuesta aprobada"), permissions=["publish"]
    )
    def make_article(self, request, queryset):
        created = 0
        for question in queryset.select_related("draft"):
            try:
                article_from_question(question=question, user=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{question}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                created += 1
        if created:
            self.message_user(request, _("%(n)s artículos creados.") % {"n": created})


@admin.register(Certificate)
class CertificateAdmin(RecordAdmin):
    list_display = ["issued_at", "full_name", "plan", "code"]
    list_select_related = ["plan"]
    search_fields = ["full_name", "code", "student__email"]


# The onboarding drip's pages live with it.
from engagement.drip import admin as drip_admin  # noqa: E402, F401
