"""Registration intake: every door (Typeform, API, CSV, Stripe) calls `register_student`.

Guarantees, whatever the door and however many deliveries race:
- every submission leaves one `IntakeRecord` (invalid ones keep their errors);
- a repeated submission (same source and external id) is a no-op returning the first result;
- one person (email, any case) is one student: the database's unique index on lower(email)
  decides races, and the loser of a race becomes a re-registration of the winner;
- a re-registration never downgrades: the plan changes only to a higher one (price, then
  the plans' order), interests are merged and empty contact fields filled in.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation

from courseops.audit.services import log_action
from courseops.core.logging import get_logger
from courseops.messaging.services import queue_email
from students import webhook_events
from students.billing.pending import await_payment, needs_payment
from students.intake.validation import (
    SMS_CONSENT_TEXT,
    UTM_FIELDS,
    clean_registration,
    labelled_errors,
    submission_language,
)
from students.models import IntakeRecord, Student
from students.onboarding.pipeline import start_onboarding
from students.services import plan_changed

logger = get_logger(__name__)
Record = IntakeRecord

CORRECTION_SALT = "students.intake.correction"
CORRECTION_TEMPLATE = "students/registration_correction"
# Contact fields a re-registration may fill in when the student has none yet.
FILLABLE_FIELDS = ("phone", "country", *UTM_FIELDS)


@dataclass
class RegistrationResult:
    record: IntakeRecord
    student: Student | None = None
    created: bool = False  # a new student was created by this call
    errors: dict = field(default_factory=dict)
    duplicate: bool = False  # the person was already a student
    replayed: bool = False  # the same submission had been received before: nothing done

    @property
    def ok(self):
        return not self.errors


def _result_from_record(record, *, replayed):
    return RegistrationResult(
        record=record,
        student=record.student,
        errors=record.errors if record.status == Record.Status.INVALID else {},
        duplicate=record.status == Record.Status.DUPLICATE,
        replayed=replayed,
    )


def _stored_data(data):
    """What we keep of the submission, as sent (so staff see what came in), but bounded."""
    if not isinstance(data, dict):
        return {"raw": str(data)[:2000]}
    return {str(k)[:50]: v for k, v in list(data.items())[:50]}


def register_student(
    *, data: dict, source: str, external_id: str = "", request_ip: str | None = None
) -> RegistrationResult:
    """Validate, dedupe, record and (for a new person) create the student and start onboarding."""
    cleaned = clean_registration(data)
    stored = _stored_data(data)
    if request_ip:
        stored = {**stored, "_ip": request_ip}
    record = Record(
        source=source,
        external_id=(external_id or "")[:200],
        data=stored,
        errors=cleaned.errors,
        status=Record.Status.INVALID if cleaned.errors else Record.Status.ACCEPTED,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            # The same submission again (a retried webhook, a replayed API call): the
            # first one's row is the answer. Under a race the winner has committed by now.
            first = Record.objects.select_related("student").get(
                source=source, external_id=record.external_id
            )
            return _result_from_record(first, replayed=True)
        if cleaned.errors:
            _ask_for_correction_on_commit(record)
            logger.info("students.intake.invalid", record_id=record.pk, fields=list(cleaned.errors))
            return RegistrationResult(record=record, errors=cleaned.errors)
        return _admit(record=record, values=cleaned.values, status=Record.Status.ACCEPTED)


def correct_registration(
    *, record: IntakeRecord, data: dict, user=None, rerun: bool = False
) -> RegistrationResult:
    """The registration was fixed (by the person through the emailed link, or by staff in
    the admin, `user`): validate it again and, when it is right, create the student and
    start onboarding as for a new registration. `rerun` validates the data as it is."""
    with transaction.atomic():
        record = (
            Record.objects.select_for_update(of=("self",))
            .select_related("student")
            .get(pk=record.pk)
        )
        if record.status != Record.Status.INVALID:
            return _result_from_record(record, replayed=True)
        before = dict(record.data)
        record.data = {**record.data, **_stored_data(data)}
        cleaned = clean_registration(record.data)
        record.errors = cleaned.errors
        if user is not None:
            changed = sorted(k for k in record.data if record.data.get(k) != before.get(k))
            # Field names only: the values are personal data, kept on the record itself.
            log_action(
                record,
                "students.intake.rerun" if rerun else "students.intake.edited",
                user=user,
                data={"fields": changed, "valid": not cleaned.errors},
            )
        if cleaned.errors:
            record.save(update_fields=["data", "errors", "updated_at"])
            return RegistrationResult(record=record, errors=cleaned.errors)
        log_action(record, "students.intake.corrected", user=user)
        return _admit(record=record, values=cleaned.values, status=Record.Status.CORRECTED)


def _find_student(email, *, lock=False):
    # Lower("email") matches the unique index's expression, so this is an index lookup.
    queryset = Student.objects.annotate(email_ci=Lower("email")).filter(email_ci=email.lower())
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.select_related("plan").first()


def _sms_consent(values, *, phone, now):
    """The SMS consent fields, only for a yes with a phone to send to."""
    if not (values.get("sms_consent") and phone):
        return {}
    return {"sms_consent_at": now, "sms_consent_text": str(SMS_CONSENT_TEXT)}


def _new_student(values, source):
    now = timezone.now()
    consent = values["consent"]
    student = Student(
        full_name=values["full_name"],
        email=values["email"],
        phone=values.get("phone", ""),
        country=values.get("country", ""),
        time_zone=values["time_zone"],
        language=values["language"],
        interests=values["interests"],
        plan=values["plan"],
        source=source,
        status=(
            Student.Status.PENDING_PAYMENT
            if needs_payment(values["plan"], source)
            else Student.Status.ONBOARDING
        ),
        consent_given=consent,
        consent_at=now if consent else None,
        **_sms_consent(values, phone=values.get("phone", ""), now=now),
        **{name: values[name] for name in UTM_FIELDS},
    )
    student.save(force_insert=True)
    return student


def _admit(*, record, values, status):
    """Inside the caller's transaction: the record is valid; make or find its student."""
    student = _find_student(values["email"], lock=True)
    created = False
    if student is None:
        try:
            with transaction.atomic():
                student = _new_student(values, record.source)
            created = True
        except IntegrityError:
            # Another registration of the same person committed first: theirs is the
            # student, ours a re-registration of it.
            student = _find_student(values["email"], lock=True)
    if created:
        record.status = status
        if student.status == Student.Status.PENDING_PAYMENT:
            await_payment(student=student, plan=student.plan, source=record.source)
        else:
            start_onboarding(student=student)
        log_action(
            student,
            "students.student.registered",
            data={"source": record.source, "intake_record": record.pk, "plan": student.plan.slug},
        )
        webhook_events.student_registered(student)
    else:
        record.status = Record.Status.DUPLICATE
        _reregister(student=student, values=values, record=record)
    record.student = student
    record.errors = {}
    record.save(update_fields=["status", "student", "errors", "data", "updated_at"])
    return RegistrationResult(
        record=record, student=student, created=created, duplicate=not created
    )


def plan_rank(plan):
    return (plan.price, plan.sort_order)


def _reregister(*, student, values, record):
    """docs/students.md's rule: upgrade only, merge interests, fill empty contact fields."""
    changes = {}
    new_plan, old_plan_id = values["plan"], student.plan_id
    upgrade = new_plan.pk != student.plan_id and plan_rank(new_plan) > plan_rank(student.plan)
    if upgrade and needs_payment(new_plan, record.source):
        # A free door cannot give a paid plan: the person gets the link to pay it.
        await_payment(student=student, plan=new_plan, source=record.source, upgrade=True)
    elif upgrade:
        changes["plan"] = [student.plan.slug, new_plan.slug]
        student.plan = new_plan
    elif new_plan.pk != student.plan_id:
        # A registration form is no place to give up what was paid for: said, not done.
        log_action(
            student,
            "students.student.downgrade_not_applied",
            data={
                "source": record.source,
                "from": student.plan.slug,
                "asked": new_plan.slug,
                "reason": "a downgrade is a billing (Stripe) or staff action",
            },
        )
    merged = list(student.interests or [])
    merged += [i for i in values["interests"] if i not in merged]
    if merged != list(student.interests or []):
        changes["interests"] = merged
        student.interests = merged
    for name in FILLABLE_FIELDS:
        if values.get(name) and not getattr(student, name):
            changes[name] = values[name]
            setattr(student, name, values[name])
    if values["consent"] and not student.consent_given:
        student.consent_given, student.consent_at = True, timezone.now()
        changes["consent"] = True
    if not student.sms_consent_at:
        sms = _sms_consent(values, phone=student.phone, now=timezone.now())
        if sms:
            for name, value in sms.items():
                setattr(student, name, value)
            changes["sms_consent"] = True
    if changes:
        student.save()
    log_action(
        student,
        "students.student.reregistered",
        data={"source": record.source, "intake_record": record.pk, "changes": changes},
    )
    if "plan" in changes:
        log_action(student, "students.student.plan_upgraded", data={"plan": changes["plan"]})
        plan_changed(student=student, old_plan_id=old_plan_id, source=record.source)


# --- Asking the person to correct an invalid registration -------------------------------


def correction_token(record) -> str:
    return signing.dumps({"record": record.pk}, salt=CORRECTION_SALT, compress=True)


def record_from_token(token: str) -> IntakeRecord | None:
    """The record a correction link is for; None when the link is forged or expired."""
    try:
        payload = signing.loads(
            token, salt=CORRECTION_SALT, max_age=settings.STUDENTS_CORRECTION_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return Record.objects.select_related("student").filter(pk=payload.get("record")).first()


def correction_url(record) -> str:
    path = reverse("intake:correct", kwargs={"token": correction_token(record)})
    return f"{settings.SITE_URL}{path}"


def can_write_to(record) -> bool:
    """Whether the submission's email is usable: otherwise there is nobody to write to."""
    return bool(record.data.get("email")) and "email" not in (record.errors or {})


def errors_for_person(record) -> dict:
    """The record's errors in the active language, for the person who registered.

    Stored errors are in Spanish (what staff read in the admin); in another language the
    same data is validated again, which gives the same fields with translated messages.
    """
    if translation.get_language() == settings.LANGUAGE_CODE:
        return record.errors
    return clean_registration(record.data).errors or record.errors


def send_correction_email(*, record, resend=False, user=None):
    """Email the person a signed link to fix their registration; None if we cannot."""
    if record.status != Record.Status.INVALID or not can_write_to(record):
        return None
    key = f"students.intake.correction:{record.pk}"
    if resend:
        key += f":{time.time_ns()}"
    language = submission_language(record.data)
    with translation.override(language):
        errors = labelled_errors(errors_for_person(record))
    message = queue_email(
        to=record.data["email"],
        idempotency_key=key,
        template=CORRECTION_TEMPLATE,
        context={
            "name": str(record.data.get("full_name") or "").strip(),
            "errors": errors,
            "correction_url": correction_url(record),
            "valid_days": settings.STUDENTS_CORRECTION_LINK_MAX_AGE // 86400,
        },
        related=record,
        language=language,
    )
    log_action(record, "students.intake.correction_sent", user=user, data={"resend": resend})
    return message


def _ask_for_correction_on_commit(record):
    if can_write_to(record):
        transaction.on_commit(lambda: send_correction_email(record=record), robust=True)
