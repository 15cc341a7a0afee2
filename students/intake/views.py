"""The correction page a person reaches from the email we send for an invalid registration."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from students.intake.forms import CorrectionForm
from students.intake.services import correct_registration, record_from_token
from students.models import IntakeRecord


@never_cache
@require_http_methods(["GET", "POST"])
def correct(request, token):
    record = record_from_token(token)
    if record is None:
        return render(request, "students/correction_invalid.html", status=404)
    if record.status != IntakeRecord.Status.INVALID:
        return render(request, "students/correction_done.html", {"record": record})
    status, errors = 200, record.errors
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        form.is_valid()  # plain text fields: the service does the real validation
        data = {**record.data, **form.cleaned_data}
        result = correct_registration(record=record, data=data)
        if result.ok:
            return render(request, "students/correction_done.html", {"record": result.record})
        status, errors = 400, result.errors
    else:
        initial = {k: v for k, v in record.data.items() if k in CorrectionForm.base_fields}
        form = CorrectionForm(initial=initial)
    context = {
        "form": form,
        "fields": form.with_errors(errors),
        "general_errors": errors.get("__all__", []),
    }
    return render(request, "students/correction.html", context, status=status)
