"""Moving in from Teachable (`manage.py import_teachable`): users and enrolments become
students (the shared rules of `students.intake.lms_import`), and the lectures each one
completed become their lesson history, read through Teachable's Admin API.

Per user: GET /users/{id} (role and courses with `is_active_enrollment`), then for each
course they have started, GET /courses/{id}/progress?user_id= (lecture sections with each
lecture's `is_completed` and `completed_at`). A completed lecture is a `lesson_completed`
activity with its own date, stored once (external id `teachable:<user>:<lecture>`), so a
second run adds nothing. History is not news: no nudge for the milestones it reaches
(`settle_imported_history`), and inactivity counts from the import. Nobody is contacted.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from engagement.models import ActivityKind, ActivitySource
from engagement.services.activity import Activity, record_activities
from engagement.services.nudges import settle_imported_history
from students.intake.lms_import import LMSImportReport, LMSUser, import_user, parse_when
from students.models import Student
from students.onboarding.lms.teachable import TeachableBackend

SOURCE = Student.Source.TEACHABLE


@dataclass
class TeachableImportReport(LMSImportReport):
    lessons: int = 0  # completed lectures recorded by this run (not those stored before)


def import_teachable(*, dry_run=False, backend=None) -> TeachableImportReport:
    backend = backend or TeachableBackend()
    report = TeachableImportReport(dry_run=dry_run)
    imported = []
    with backend.client:
        for summary in backend.pages("/users", "users"):
            report.users += 1
            user = backend.user(summary["id"])
            with transaction.atomic():
                student = import_user(
                    _lms_user({**summary, **user}),
                    source=SOURCE,
                    lms_label="Teachable",
                    report=report,
                )
                if student is not None:
                    report.lessons += _import_progress(backend, student, user)
                    imported.append(student.pk)
                if dry_run:
                    transaction.set_rollback(True)
    if imported and not dry_run:
        settle_imported_history(
            student_ids=imported, reason=_("Progreso importado de Teachable (historial).")
        )
    return report


def _lms_user(user):
    courses = user.get("courses") or []
    return LMSUser(
        user_id=str(user["id"]),
        email=str(user.get("email") or ""),
        full_name=str(user.get("name") or ""),
        live_courses=[str(c["course_id"]) for c in courses if c.get("is_active_enrollment")],
        # Teachable's user has no sign-up date; the first enrolment is the closest.
        joined=min(filter(None, (parse_when(c.get("enrolled_at")) for c in courses)), default=None),
        staff=(user.get("role") or "student") != "student",
        data={"teachable_user": user},
    )


def _import_progress(backend, student, user):
    activities = []
    for course in user.get("courses") or []:
        if not course.get("percent_complete"):
            continue  # nothing done in it: no call
        for lecture in backend.completed_lectures(user["id"], course["course_id"]):
            activities.append(
                Activity(
                    student=student,
                    kind=ActivityKind.LESSON_COMPLETED,
                    occurred_at=lecture["completed_at"],
                    source=ActivitySource.TEACHABLE,
                    external_id=f"teachable:{user['id']}:{lecture['id']}",
                    metadata={
                        "object_type": "lesson",
                        "object_id": str(lecture["id"]),
                        "title": lecture["name"],
                        "course_id": str(course["course_id"]),
                        "imported": True,
                    },
                )
            )
    created, _repeats = record_activities(activities)
    return created
