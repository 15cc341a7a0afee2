from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from students.models import Student
from surveys.services import check_score, existing_answer, read_token, record_answer


def _score(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _error(request, exc):
    return render(request, "surveys/error.html", {"error": exc.messages[0]}, status=400)


@personal_link_page
@require_http_methods(["GET", "POST"])
def answer(request, token):
    try:
        survey, respondent, language = read_token(token)
    except ValidationError as exc:
        return _error(request, exc)
    with translation.override(language):
        return _answer(request, survey, respondent)


def _answer(request, survey, respondent):
    """The emailed link. GET only shows the score picked in the email, ready to confirm
    (mail scanners fetch links: a GET must record nothing); the POST records it.

    The signed token names the person and survey; Django's CSRF check still guards the
    POST, so another site cannot submit a form to a link it has seen."""
    answered = existing_answer(survey, respondent)
    if request.method == "GET":
        score = _score(request.GET.get("puntuacion"))
        if answered is None and score is not None:
            try:
                check_score(survey, score)
            except ValidationError as exc:
                return _error(request, exc)
        return render(
            request,
            "surveys/confirm.html",
            {
                "survey": survey,
                "answer": answered,
                "selected": score,
                "scores": range(survey.scale[0], survey.scale[1] + 1),
            },
        )
    score = answered.score if answered else _score(request.POST.get("puntuacion"))
    try:
        saved = record_answer(
            survey=survey,
            respondent=respondent,
            score=score,
            comment=request.POST.get("comentario", ""),
            student=Student.objects.filter(email__iexact=respondent).first(),
        )
    except ValidationError as exc:
        return _error(request, exc)
    return render(
        request,
        "surveys/thanks.html",
        {"survey": survey, "answer": saved},
    )
