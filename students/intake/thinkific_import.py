"""Moving in from Thinkific: its users become students with the plan their courses give,
as history. Nobody is contacted: no onboarding, no welcome, no LMS account to make (they
have one), and their inactivity counts from the import, not from years ago.

Read through the Admin API (`/users`, `/enrollments`, paged) with the LMS settings. Each
user leaves an intake record (source "thinkific", its user id), which is where the student
came from and what makes a second run change nothing. The plan is the one whose course
materials (`lms_course_id`) cover most of the user's live enrolments, the dearest on a tie;
a user none of whose courses is in a plan is recorded as refused, for staff to fix the
materials and run again. Staff accounts (site and course admins) are left out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from students.intake.services import plan_rank
from students.models import IntakeRecord, Material, Plan, Student
from students.onboarding.lms.thinkific import ThinkificBackend
from students.onboarding.steps import grant_materials

SOURCE = Student.Source.THINKIFIC
STAFF_ROLES = {"site_admin", "course_admin"}


@dataclass
class ThinkificImportReport:
    """Each user counts once: created + existing + replayed + refused + staff == users.
    A refused user is tried again by the next run."""

    users: int = 0
    created: int = 0  # new students
    existing: int = 0  # already students (by email): linked to their Thinkific user
    replayed: int = 0  # imported before: nothing to do
    refused: int = 0  # no course of theirs is in a plan (see `problems`)
    staff: int = 0  # site or course admins: not students
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False


def import_users(*, dry_run: bool = False, backend=None) -> ThinkificImportReport:
    backend = backend or ThinkificBackend()
    report = ThinkificImportReport(dry_run=dry_run)
    with backend.client:
        enrollments = defaultdict(list)
        for enrollment in backend.pages("/enrollments"):
            enrollments[str(enrollment["user_id"])].append(enrollment)
        for user in backend.pages("/users"):
            report.users += 1
            with transaction.atomic():
                _import_user(user, enrollments[str(user["id"])], report=report)
                if dry_run:
                    transaction.set_rollback(True)
    return report


def _live(enrollment):
    return bool(enrollment.get("activated_at")) and not (
        enrollment.get("expired") or enrollment.get("is_free_trial")
    )


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


def _import_user(user, enrollments, *, report):
    user_id = str(user["id"])
    if STAFF_ROLES & set(user.get("roles") or []):
        report.staff += 1
        return
    record = IntakeRecord.objects.filter(source=SOURCE, external_id=user_id).first()
    if record is not None and record.status != IntakeRecord.Status.INVALID:
        report.replayed += 1
        return
    # New, or refused last time (staff may have put the course in a plan since).
    record = record or IntakeRecord(source=SOURCE, external_id=user_id)
    record.data = {"thinkific_user": user, "enrollments": enrollments}
    email = str(user.get("email") or "").strip()
    student = Student.objects.filter(email__iexact=email).first()
    if student is not None:
        if not student.lms_user_id:
            Student.objects.filter(pk=student.pk).update(lms_user_id=user_id)
        record.status, record.student = IntakeRecord.Status.DUPLICATE, student
        record.save()
        report.existing += 1
        return
    courses = sorted({str(e["course_id"]) for e in enrollments if _live(e)})
    plan = plan_for_courses(courses)
    if plan is None:
        error = (
            _(
                "Ningún plan incluye sus cursos de Thinkific (%(ids)s): pon el id del curso "
                "en un material del plan y vuelve a importar."
            )
            % {"ids": ", ".join(courses)}
            if courses
            else _("No tiene ninguna matrícula activa en Thinkific.")
        )
        record.status, record.errors = IntakeRecord.Status.INVALID, {"plan": [error]}
        record.save()
        report.refused += 1
        report.problems.append(f"{email}: {error}")
        return
    try:
        with transaction.atomic():
            student = _create_student(user, email=email, plan=plan)
    except IntegrityError:
        report.refused += 1
        report.problems.append(f"{email}: {_('el email ya es de otro estudiante.')}")
        return
    record.status, record.student, record.errors = IntakeRecord.Status.ACCEPTED, student, {}
    record.save()
    report.created += 1


def _create_student(user, *, email, plan):
    name = user.get("full_name") or " ".join(
        part for part in (user.get("first_name"), user.get("last_name")) if part
    )
    student = Student.objects.create(
        full_name=name or email,
        email=email,
        plan=plan,
        status=Student.Status.ACTIVE,
        source=SOURCE,
        lms_user_id=str(user["id"]),
        # Their life in CourseOps (and so inactivity nudges) starts now.
        activated_at=timezone.now(),
    )
    joined = _datetime(user.get("created_at"))
    if joined:
        Student.objects.filter(pk=student.pk).update(created_at=joined)
    grant_materials(student)
    log_action(
        student,
        "students.student.imported",
        data={"source": SOURCE, "thinkific_user": str(user["id"]), "plan": plan.slug},
    )
    return student


def _datetime(value):
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if isinstance(parsed, datetime) else None
