from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from students.models import Student
from surveys.services import read_token, record_answer


def _score(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
def answer(request, token):
    """The emailed link: the click records the score; the page then takes a comment."""
    try:
        survey, respondent = read_token(token)
    except ValidationError as exc:
        return render(request, "surveys/error.html", {"error": exc.messages[0]}, status=400)
    data = request.POST if request.method == "POST" else request.GET
    comment = request.POST.get("comentario") if request.method == "POST" else None
    try:
        saved = record_answer(
            survey=survey,
            respondent=respondent,
            score=_score(data.get("puntuacion")),
            comment=comment,
            student=Student.objects.filter(email__iexact=respondent).first(),
        )
    except ValidationError as exc:
        return render(request, "surveys/error.html", {"error": exc.messages[0]}, status=400)
    return render(
        request,
        "surveys/thanks.html",
        {"survey": survey, "answer": saved, "commented": comment is not None},
    )
