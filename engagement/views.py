"""The student's own progress page in the portal."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from engagement.services.progress import progress_for
from students.portal.services import current_student


@require_GET
def portal_progress(request):
    student = current_student(request)
    if student is None:
        return redirect("portal:sign_in")
    return render(
        request,
        "engagement/portal/progress.html",
        {"student": student, "progress": progress_for(student)},
    )
