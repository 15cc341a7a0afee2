"""Moving in from Thinkific (`manage.py import_thinkific`): its users and enrolments
through the Admin API (`/users`, `/enrollments`, paged) with the LMS settings, imported by
the shared `lms_import` rules (intake record per user, plan from the live courses, nobody
contacted). Site and course admins are left out; an enrolment without `activated_at`, an
expired one or a free trial gives no plan.
"""

from collections import defaultdict

from django.db import transaction

from students.intake.lms_import import LMSImportReport, LMSUser, import_user, parse_when
from students.models import Student
from students.onboarding.lms.thinkific import ThinkificBackend

SOURCE = Student.Source.THINKIFIC
STAFF_ROLES = {"site_admin", "course_admin"}
# The name the command and older code know the report by.
ThinkificImportReport = LMSImportReport


def import_users(*, dry_run: bool = False, backend=None) -> LMSImportReport:
    backend = backend or ThinkificBackend()
    report = LMSImportReport(dry_run=dry_run)
    with backend.client:
        enrollments = defaultdict(list)
        for enrollment in backend.pages("/enrollments"):
            enrollments[str(enrollment["user_id"])].append(enrollment)
        for user in backend.pages("/users"):
            report.users += 1
            with transaction.atomic():
                import_user(
                    _lms_user(user, enrollments[str(user["id"])]),
                    source=SOURCE,
                    lms_label="Thinkific",
                    report=report,
                )
                if dry_run:
                    transaction.set_rollback(True)
    return report


def _live(enrollment):
    return bool(enrollment.get("activated_at")) and not (
        enrollment.get("expired") or enrollment.get("is_free_trial")
    )


def _lms_user(user, enrollments):
    name = user.get("full_name") or " ".join(
        part for part in (user.get("first_name"), user.get("last_name")) if part
    )
    return LMSUser(
        user_id=str(user["id"]),
        email=str(user.get("email") or ""),
        full_name=name,
        live_courses=[str(e["course_id"]) for e in enrollments if _live(e)],
        joined=parse_when(user.get("created_at")),
        staff=bool(STAFF_ROLES & set(user.get("roles") or [])),
        data={"thinkific_user": user, "enrollments": enrollments},
    )
