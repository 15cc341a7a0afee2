"""Moving in from an LMS (Thinkific, Teachable): its users become students with the plan
their courses give, as history. Nobody is contacted: no onboarding, no welcome, no LMS
account to make (they have one), and their inactivity counts from the import.

Each user leaves an intake record (source = the LMS, its user id), which is where the
student came from and what makes a second run change nothing. The plan is the one whose
course materials (`lms_course_id`) cover most of the user's live enrolments, the dearest on
a tie; a user none of whose courses is in a plan is recorded as refused, for staff to fix
the materials and run again. Staff accounts are left out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core.dates import datetime_or_none
from students.intake.services import plan_rank
from students.models import IntakeRecord, Material, Plan, Student
from students.onboarding.steps import grant_materials


@dataclass
class LMSImportReport:
    """Each user counts once: created + existing + replayed + refused + staff == users.
    A refused user is tried again by the next run."""

    users: int = 0
    created: int = 0  # new students
    existing: int = 0  # already students (by email): linked to their LMS user
    replayed: int = 0  # imported before: nothing to do
    refused: int = 0  # no course of theirs is in a plan (see `problems`)
    staff: int = 0  # the school's admins and authors: not students
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class LMSUser:
    """One user of the old LMS, as an importer read it."""

    user_id: str
    email: str
    full_name: str
    live_courses: list  # course ids of the enrolments that give access today
    joined: datetime | None = None
    staff: bool = False
    data: dict = field(default_factory=dict)  # kept on the intake record, as the LMS gave it


def plan_for_courses(course_ids):
    """The plan whose course materials cover most of `course_ids`; None if none does."""
    covered = defaultdict(int)
    materials = Material.objects.filter(kind=Material.Kind.COURSE, lms_course_id__in=course_ids)
    for plan_id in Plan.materials.through.objects.filter(material__in=materials).values_list(
        "plan_id", flat=True
    ):
        covered[plan_id] += 1
    plans = Plan.objects.filter(pk__in=covered)
    return max(plans, key=lambda plan: (covered[plan.pk], plan_rank(plan)), default=None)


def import_user(user: LMSUser, *, source, lms_label, report) -> Student | None:
    """One user: the student it is (made, linked or found), or None (staff, refused)."""
    if user.staff:
        report.staff += 1
        return None
    record = IntakeRecord.objects.filter(source=source, external_id=user.user_id).first()
    if record is not None and record.status != IntakeRecord.Status.INVALID:
        report.replayed += 1
        return record.student
    # New, or refused last time (staff may have put the course in a plan since).
    record = record or IntakeRecord(source=source, external_id=user.user_id)
    record.data = user.data
    email = user.email.strip()
    student = Student.objects.filter(email__iexact=email).first()
    if student is not None:
        if not student.lms_user_id:
            Student.objects.filter(pk=student.pk).update(lms_user_id=user.user_id)
        record.status, record.student = IntakeRecord.Status.DUPLICATE, student
        record.save()
        report.existing += 1
        return student
    courses = sorted(set(map(str, user.live_courses)))
    plan = plan_for_courses(courses)
    if plan is None:
        error = (
            _(
                "Ningún plan incluye sus cursos de %(lms)s (%(ids)s): pon el id del curso "
                "en un material del plan y vuelve a importar."
            )
            % {"lms": lms_label, "ids": ", ".join(courses)}
            if courses
            else _("No tiene ninguna matrícula activa en %(lms)s.") % {"lms": lms_label}
        )
        record.status, record.errors = IntakeRecord.Status.INVALID, {"plan": [error]}
        record.save()
        report.refused += 1
        report.problems.append(f"{email}: {error}")
        return None
    try:
        with transaction.atomic():
            student = _create_student(user, email=email, plan=plan, source=source)
    except IntegrityError:
        report.refused += 1
        report.problems.append(f"{email}: {_('el email ya es de otro estudiante.')}")
        return None
    record.status, record.student, record.errors = IntakeRecord.Status.ACCEPTED, student, {}
    record.save()
    report.created += 1
    return student


def _create_student(user, *, email, plan, source):
    student = Student.objects.create(
        full_name=user.full_name or email,
        email=email,
        plan=plan,
        status=Student.Status.ACTIVE,
        source=source,
        lms_user_id=user.user_id,
        # Their life in CourseOps (and so inactivity nudges) starts now.
        activated_at=timezone.now(),
    )
    if user.joined:
        Student.objects.filter(pk=student.pk).update(created_at=user.joined)
    grant_materials(student)
    log_action(
        student,
        "students.student.imported",
        data={"source": source, f"{source}_user": user.user_id, "plan": plan.slug},
    )
    return student


def parse_when(value):
    parsed = datetime_or_none(value)
    return parsed if isinstance(parsed, datetime) else None
