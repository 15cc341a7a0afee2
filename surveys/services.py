"""Surveys: signed links that open a confirmation page (the answer is recorded by its
POST, never by the GET a mail scanner makes), one answer per person and survey, results."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.models import OutboundMessage
from courseops.messaging.services import queue_email
from surveys import webhook_events
from surveys.models import Answer, Survey

SALT = "surveys.answer"
# A survey link stays valid this long (a late answer is still an answer).
LINK_MAX_AGE = 60 * 60 * 24 * 90


def survey_for(kind, *, webinar=None, lesson=None) -> Survey:
    survey, _created = Survey.objects.get_or_create(kind=kind, webinar=webinar, lesson=lesson)
    return survey


def answer_token(survey, email, language="") -> str:
    data = {"s": survey.pk, "r": email.strip().lower()}
    if language:
        data["l"] = language  # the page speaks the invitation's language
    return signing.dumps(data, salt=SALT, compress=True)


def answer_url(survey, email, score, language="") -> str:
    path = reverse("surveys:answer", args=[answer_token(survey, email, language)])
    return f"{settings.SITE_URL}{path}?puntuacion={score}"


def read_token(token):
    """(survey, respondent email, language) from a link, or ValidationError if forged or
    expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(_("El enlace de la encuesta no es válido o ha caducado.")) from exc
    survey = Survey.objects.select_related("webinar", "lesson").filter(pk=data["s"]).first()
    if survey is None:
        raise ValidationError(_("Esta encuesta ya no existe."))
    return survey, data["r"], data.get("l") or settings.LANGUAGE_CODE


def check_score(survey, score):
    """The score as an int on the survey's scale, or ValidationError."""
    low, high = survey.scale
    if not isinstance(score, int) or not low <= score <= high:
        raise ValidationError(
            _("La puntuación debe ser un número del %(low)s al %(high)s."),
            params={"low": low, "high": high},
        )
    return score


def existing_answer(survey, respondent):
    return Answer.objects.filter(survey=survey, respondent=respondent).first()


def record_answer(*, survey, respondent, score, comment="", student=None) -> Answer:
    """Store the person's answer once. The first submission fixes the score; a later one
    (a second tab, a resubmitted form) only replaces the comment when it brings one, so a
    score is never counted twice nor silently changed after the results were read."""
    check_score(survey, score)
    comment = (comment or "").strip()[:2000]
    try:
        with transaction.atomic():
            answer, created = Answer.objects.get_or_create(
                survey=survey,
                respondent=respondent,
                defaults={"score": score, "comment": comment, "student": student},
            )
    except IntegrityError:
        # Two first submissions at once: the loser's insert failed, so the row is there now.
        answer, created = Answer.objects.get(survey=survey, respondent=respondent), False
    if created:
        log_action(answer, "surveys.answer.recorded", data={"survey": survey.pk, "score": score})
        webhook_events.survey_answered(answer, survey)
    elif comment and comment != answer.comment:
        answer.comment = comment
        answer.save(update_fields=["comment", "updated_at"])
        log_action(answer, "surveys.answer.commented", data={"survey": survey.pk})
    return answer


def invite(survey, *, email, name, idempotency_key, language="", related=None, send_at=None):
    """Queue the survey email: one link per score, each opening the page that confirms it."""
    low, high = survey.scale
    context = {
        "name": (name or "").split(" ")[0],
        "about": str(survey.webinar or survey.lesson or ""),
        "is_nps": survey.is_nps,
        "scores": [
            {"score": score, "url": answer_url(survey, email, score, language)}
            for score in range(low, high + 1)
        ],
    }
    return queue_email(
        to=email,
        idempotency_key=idempotency_key,
        template="surveys/invite",
        context=context,
        category="engagement",
        language=language or None,
        related=related,
        send_at=send_at,
        over_budget="drop",
    )


def not_yet_invited(prefix, *fields):
    """A condition on rows whose `fields` (default: pk), joined by dots, complete the
    idempotency key `prefix<pk>`: no survey email queued for them yet. One subquery,
    whatever the row count."""
    parts = [Value(prefix)]
    for n, name in enumerate(fields or ("pk",)):
        parts += [Value(".")] if n else []
        parts.append(Cast(OuterRef(name), output_field=CharField()))
    return ~Exists(OutboundMessage.objects.filter(idempotency_key=Concat(*parts)))


def results(surveys):
    """Each survey with its answer count, average, and (for NPS) the NPS score."""
    promoters = Count("answers", filter=Q(answers__score__gte=9))
    detractors = Count("answers", filter=Q(answers__score__lte=6))
    return surveys.annotate(
        answer_count=Count("answers"),
        average=Avg("answers__score"),
        promoters=promoters,
        detractors=detractors,
    )


def nps(promoters, detractors, total):
    return round(100 * (promoters - detractors) / total) if total else None
