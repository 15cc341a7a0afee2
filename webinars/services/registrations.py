"""Registering students and leads, confirming them with a calendar invitation."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.core import pending
from courseops.messaging.services import queue_email
from courseops.messaging.services.addresses import normalize_email, normalize_phone
from webinars import calendar
from webinars.meetings import get_provider
from webinars.models import Registration, Webinar, validate_time_zone
from webinars.services import owed
from webinars.services.text import registrant_context
from webinars.signals import webinar_registered


class RegistrationError(ValidationError):
    """The registration is refused (full, closed, not allowed); the message says why."""


def _valid_phone(phone):
    try:
        normalize_phone(phone)
    except ValidationError:
        return False
    return True


def _valid_time_zone(time_zone):
    try:
        validate_time_zone(time_zone)
    except ValidationError:
        return False
    return True


def _check_open(webinar, now):
    if webinar.status != Webinar.Status.SCHEDULED or webinar.starts_at <= now:
        raise RegistrationError(_("Las inscripciones a este webinar están cerradas."))


def _check_allowed(webinar, student):
    if webinar.is_public:
        return
    if student is None or not student.plan.includes_live_webinars:
        raise RegistrationError(_("Este webinar es solo para estudiantes de ciertos planes."))
    if not webinar.plans.filter(pk=student.plan_id).exists():
        raise RegistrationError(_("Tu plan no incluye este webinar."))


def registration_create(
    *,
    webinar,
    source,
    student=None,
    email=None,
    name="",
    phone="",
    time_zone=None,
    language=None,
    sms_consent=False,
    consent_text="",
    user=None,
) -> Registration:
    """Register a student or a lead once per email; the confirmation (personal link and
    `.ics`) goes out after commit. Registering again returns the existing registration
    (re-activated if it was cancelled)."""
    now = timezone.now()
    if student is not None:
        email = email or student.email
        name = name or student.full_name
        phone = phone or student.phone
        time_zone = time_zone or student.time_zone
        language = language or student.language
    email = normalize_email(email)
    time_zone = time_zone or webinar.time_zone
    if student is not None:
        # A student's record is the students app's to fix; they still get the webinar,
        # without SMS, or in the webinar's own zone. A person typing is told instead.
        phone = phone if _valid_phone(phone) else ""
        time_zone = time_zone if _valid_time_zone(time_zone) else webinar.time_zone
    phone = normalize_phone(phone) if phone else ""
    validate_time_zone(time_zone)
    _check_allowed(webinar, student)
    with transaction.atomic():
        # The row lock serializes registrations to one webinar so capacity holds.
        locked = Webinar.objects.select_for_update().get(pk=webinar.pk)
        _check_open(locked, now)
        existing = Registration.objects.filter(webinar=locked, email=email).first()
        if existing is not None and existing.cancelled_at is None:
            return existing
        active = locked.registrations.filter(cancelled_at__isnull=True).count()
        if locked.capacity is not None and active >= locked.capacity:
            raise RegistrationError(_("No quedan plazas para este webinar."))
        if existing is not None:
            existing.cancelled_at = None
            existing.save(update_fields=["cancelled_at"])
            registration = existing
        else:
            registration = Registration(
                webinar=locked,
                student=student,
                email=email,
                name=name[:200],
                phone=phone,
                time_zone=time_zone,
                language=language or locked.language,
                source=source,
                sms_consent=bool(sms_consent and phone),
                consent_text=consent_text if sms_consent else "",
                consent_at=now if sms_consent and phone else None,
            )
            try:
                with transaction.atomic():
                    registration.save()
            except IntegrityError:  # impossible under the lock, unless the email changed case
                return Registration.objects.get(webinar=locked, email=email)
        log_action(
            registration,
            "webinars.registration.created",
            user=user,
            data={"source": source, "sms_consent": registration.sms_consent},
        )
        owed.confirmation_owed(registration.pk)
        if registration.language != locked.language and locked.status == Webinar.Status.SCHEDULED:
            # The first registrant in another language: the AI reminder in theirs too.
            owed.reminder_text_owed(locked.pk)
        transaction.on_commit(
            lambda: webinar_registered.send(
                sender=Registration, registration=registration, webinar=locked
            )
        )
    return registration


def registration_confirm(*, registration, provider_error=None):
    """Personal link from the provider (Zoom) if needed, then the confirmation email.

    Runs in a task, outside any transaction; raises MeetingError for the task's retry.
    With `provider_error` (the task gave up) the error is kept on the registration and
    the confirmation goes out with the webinar's shared link: the person is not left out.
    Once queued (or not owed), the registration's mark goes unless it was marked again.
    """
    seen = registration.confirmation_due_since
    message = _confirm(registration, provider_error)
    pending.done(registration, "confirmation_due_since", seen)
    return message


def _confirm(registration, provider_error):
    webinar = registration.webinar
    if webinar.status != Webinar.Status.SCHEDULED or registration.cancelled_at:
        return None
    if provider_error:
        Registration.objects.filter(pk=registration.pk).update(last_error=provider_error[:2000])
    elif not registration.join_url and webinar.meeting_provider:
        personal = get_provider(webinar.meeting_provider).register(webinar, registration)
        if personal:
            Registration.objects.filter(pk=registration.pk).update(join_url=personal)
            registration.join_url = personal
    return queue_email(
        to=registration.email,
        idempotency_key=f"webinars.confirmation.{registration.pk}.{webinar.ics_sequence}",
        template="webinars/confirmation",
        context=registrant_context(registration, webinar=webinar),
        language=registration.language,
        related=registration,
        attachments=[
            (
                "webinar.ics",
                calendar.invitation(webinar, registration),
                "text/calendar; method=REQUEST",
            )
        ],
    )


def registration_cancel(*, registration, user=None):
    updated = Registration.objects.filter(pk=registration.pk, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )
    if updated:
        log_action(registration, "webinars.registration.cancelled", user=user)
    return bool(updated)


def register_onboarded_student(*, student):
    """Register a new student to the upcoming webinars their plan includes."""
    if not student.plan.includes_live_webinars:
        return {"registered": 0, "reason": "plan without live webinars"}
    from webinars.services.webinars import upcoming_for_plan

    registered = []
    for webinar in upcoming_for_plan(student.plan):
        try:
            registration = registration_create(
                webinar=webinar,
                student=student,
                source=Registration.Source.ONBOARDING,
                sms_consent=student.sms_consent_at is not None,
                consent_text=student.sms_consent_text,
            )
        except RegistrationError as exc:  # full: the others still count
            log_action(
                webinar,
                "webinars.registration.refused",
                data={"student": student.pk, "reason": " ".join(exc.messages)},
            )
            continue
        registered.append(registration.webinar_id)
    return {"registered": len(registered), "webinars": registered}
