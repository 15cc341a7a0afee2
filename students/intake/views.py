"""The correction page a person reaches from the email we send for an invalid registration."""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from courseops.core.pages import personal_link_page
from students.intake.forms import CorrectionForm
from students.intake.services import correct_registration, errors_for_person, record_from_token
from students.intake.validation import labelled_errors, submission_language
from students.models import IntakeRecord


@personal_link_page
@never_cache
@require_http_methods(["GET", "POST"])
def correct(request, token):
    record = record_from_token(token)
    if record is None:
        return render(request, "students/correction_invalid.html", status=404)
    form, status = None, 200
    if request.method == "POST" and record.status == IntakeRecord.Status.INVALID:
        form = CorrectionForm(request.POST)
        result = correct_registration(record=record, data=form.submitted())
        record, status = result.record, 200 if result.ok else 400
    # The page speaks the language the person registered in, as the email did.
    with translation.override(submission_language(record.data)):
        if record.status != IntakeRecord.Status.INVALID:
            return render(request, "students/correction_done.html", {"record": record})
        if form is None:
            form = CorrectionForm(initial=CorrectionForm.initial_for(record.data))
        errors = errors_for_person(record)
        # An error about a field the page has no input for is still shown, with its name.
        elsewhere = {k: v for k, v in errors.items() if k not in form.fields and k != "__all__"}
        context = {
            "form": form,
            "fields": form.with_errors(errors),
            "general_errors": errors.get("__all__", [])
            + [
                f"{label}: {message}"
                for label, messages in labelled_errors(elsewhere)
                for message in messages
            ],
        }
        return render(request, "students/correction.html", context, status=status)
