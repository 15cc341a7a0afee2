from courseops.audit.models import AuditEntry
from courseops.messaging.models import OutboundMessage
from students.intake.services import register_student
from students.models import IntakeRecord, OnboardingStep, Student


def register(data, **kwargs):
    kwargs.setdefault("source", Student.Source.API)
    return register_student(data=data, **kwargs)


def test_a_valid_registration_creates_the_student_and_starts_onboarding(
    plans, registration, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = register(registration, external_id="k-1")

    assert result.created
    assert not result.duplicate
    assert result.errors == {}
    student = Student.objects.get()
    assert result.student == student
    assert (student.email, student.full_name, student.plan.slug) == (
        "Lucia.Gomez@example.com",
        "Lucía Gómez",
        "premium",
    )
    assert (student.phone, student.time_zone) == ("+525512345678", "America/Mexico_City")
    assert student.consent_given
    assert student.consent_at is not None
    assert student.utm_source == "instagram"
    assert result.record.status == IntakeRecord.Status.ACCEPTED
    assert result.record.student == student
    steps = {s.name: s.status for s in student.onboarding_steps.all()}
    assert set(steps) == set(OnboardingStep.ORDER)
    assert steps["validate"] == OnboardingStep.Status.DONE  # the pipeline ran after commit
    assert AuditEntry.objects.filter(action="students.student.registered").count() == 1


def test_the_same_submission_twice_is_a_no_op_returning_the_first_result(plans, registration):
    first = register(registration, external_id="typeform-evt-1", source="typeform")
    again = register(
        {**registration, "plan": "vip"}, external_id="typeform-evt-1", source="typeform"
    )

    assert again.replayed
    assert not again.created
    assert again.record == first.record
    assert again.student == first.student
    assert IntakeRecord.objects.count() == 1
    assert Student.objects.get().plan.slug == "premium"


def test_the_same_email_in_another_case_from_another_door_is_the_same_student(plans, registration):
    register(registration, source="typeform", external_id="t-1")
    second = register({**registration, "email": "LUCIA.GOMEZ@EXAMPLE.COM"}, source="csv")

    assert Student.objects.count() == 1
    assert second.duplicate
    assert not second.created
    assert second.student == Student.objects.get()
    assert second.record.status == IntakeRecord.Status.DUPLICATE
    assert IntakeRecord.objects.count() == 2


def test_a_re_registration_upgrades_to_a_higher_plan_and_logs_it(plans, registration):
    register({**registration, "plan": "basico", "phone": ""})
    register({**registration, "plan": "vip", "interests": ["visión"], "phone": "5512345678"})

    student = Student.objects.get()
    assert student.plan.slug == "vip"
    assert student.interests == ["machine learning", "nlp", "visión"]
    assert student.phone == "+525512345678"  # filled in because it was empty
    entry = AuditEntry.objects.get(action="students.student.plan_upgraded")
    assert entry.data == {"plan": ["basico", "vip"]}


def test_a_re_registration_never_downgrades_the_plan(plans, registration):
    register({**registration, "plan": "vip"})
    result = register({**registration, "plan": "basico", "full_name": "Otra Persona"})

    student = Student.objects.get()
    assert (student.plan.slug, student.full_name) == ("vip", "Lucía Gómez")
    assert result.duplicate
    assert not AuditEntry.objects.filter(action="students.student.plan_upgraded").exists()
    assert AuditEntry.objects.filter(action="students.student.reregistered").count() == 1


def test_an_invalid_registration_is_kept_with_its_errors_and_the_person_is_asked_to_fix_it(
    plans, registration, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = register({**registration, "plan": "oro", "phone": "123"})

    assert result.student is None
    assert not result.created
    assert set(result.errors) == {"plan", "phone"}
    record = IntakeRecord.objects.get()
    assert record.status == IntakeRecord.Status.INVALID
    assert record.data["plan"] == "oro"
    assert record.errors == result.errors
    assert not Student.objects.exists()
    message = OutboundMessage.objects.get(recipient="lucia.gomez@example.com")
    assert message.subject == "Falta un detalle para completar tu inscripción"
    assert "/registro/corregir/" in message.text_body
    assert "Plan desconocido «oro»" in message.text_body


def test_with_an_unusable_email_the_record_is_kept_for_staff_and_nobody_is_emailed(
    plans, registration, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = register({**registration, "email": "lucia@gmial.com"})

    assert result.errors["email"]
    assert IntakeRecord.objects.get().status == IntakeRecord.Status.INVALID
    assert not OutboundMessage.objects.exists()


def test_a_body_that_is_not_an_object_is_recorded_as_invalid_not_a_crash(plans):
    result = register(["not", "a", "dict"])
    assert result.errors == {"__all__": ["Los datos del registro deben ser un objeto."]}
    assert IntakeRecord.objects.get().data == {"raw": "['not', 'a', 'dict']"}
