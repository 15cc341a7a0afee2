"""AI summary of a survey's comments for staff (review kind `survey_summary`)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.ai import generate
from courseops.reviews.registry import ApplyError
from courseops.reviews.services import create_draft
from surveys.models import Survey
from surveys.services import results

# The most recent comments sent to the model: enough to see the themes, a bounded prompt.
MAX_COMMENTS = 200


def draft_summary(survey, *, user=None):
    """Queue an AI draft summarising the survey's comments; refuses a survey without any."""
    figures = results(Survey.objects.filter(pk=survey.pk)).get()
    comments = list(
        survey.answers.exclude(comment="")
        .order_by("-updated_at")
        .values_list("comment", flat=True)[:MAX_COMMENTS]
    )
    if not comments:
        raise ValidationError(_("Esta encuesta aún no tiene comentarios que resumir."))
    result = generate(
        "survey_summary",
        {
            "about": str(survey.webinar or survey.lesson or _("el curso")),
            "kind": survey.get_kind_display(),
            "count": figures.answer_count,
            "average": f"{figures.average:.1f}",
            "comments": comments,
        },
        requested_by="surveys.summary",
        user=user,
    )
    return create_draft(
        kind="survey_summary",
        target=survey,
        subject=result.data["subject"],
        body=result.data["summary_html"],
        ai_result=result,
    )


def summary_apply(draft, user):
    """Approving keeps the (edited) summary on the survey; approving again rewrites it."""
    updated = Survey.objects.filter(pk=draft.object_id).update(
        summary=draft.body, summary_at=timezone.now()
    )
    if not updated:
        raise ApplyError(_("La encuesta ya no existe."), permanent=True)
