from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from courseops.ai.errors import AIError
from courseops.core.admin import RecordAdmin
from surveys.models import Answer, Survey
from surveys.services import nps, results
from surveys.summary import draft_summary


@admin.register(Survey)
class SurveyAdmin(ModelAdmin):
    """Results per webinar, lesson or NPS point, in one query for the page."""

    list_display = ["__str__", "kind", "answer_count_display", "average_display", "nps_display"]
    list_filter = ["kind"]
    list_select_related = ["webinar", "lesson"]
    search_fields = ["webinar__title", "lesson__title"]
    show_full_result_count = False
    readonly_fields = ["kind", "webinar", "lesson", "created_at", "summary", "summary_at"]
    actions = ["summarise_comments"]

    @admin.action(
        description=_("Resumir los comentarios con IA (borrador para revisar)"),
        permissions=["change"],
    )
    def summarise_comments(self, request, queryset):
        for survey in queryset:
            try:
                draft_summary(survey, user=request.user)
            except (ValidationError, AIError) as exc:
                self.message_user(request, f"{survey}: {exc}", messages.WARNING)
            else:
                self.message_user(
                    request, _("%(s)s: resumen en la cola de revisión.") % {"s": survey}
                )

    def get_queryset(self, request):
        return results(super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("respuestas"), ordering="answer_count")
    def answer_count_display(self, obj):
        return obj.answer_count

    @admin.display(description=_("media"), ordering="average")
    def average_display(self, obj):
        return f"{obj.average:.2f}" if obj.average is not None else "—"

    @admin.display(description="NPS")
    def nps_display(self, obj):
        if not obj.is_nps:
            return "—"
        value = nps(obj.promoters, obj.detractors, obj.answer_count)
        return "—" if value is None else value


@admin.register(Answer)
class AnswerAdmin(RecordAdmin):
    list_display = ["survey", "score", "comment", "answered_at", "updated_at"]
    list_filter = ["survey__kind"]
    list_select_related = ["survey__webinar", "survey__lesson"]
    search_fields = ["comment"]
    show_full_result_count = False
