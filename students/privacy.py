"""What the students app holds about a person, for export and erasure requests."""

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from courseops.operations.privacy.redact import mentions, scrub
from courseops.operations.privacy.registry import (
    CONSENT,
    CONTRACT,
    ERASED_NAME,
    PrivacyPart,
    erased_email,
    register_part,
)
from students.billing.client import BillingError, call, get_client
from students.models import IntakeRecord, Invoice, OnboardingStep, Student, Subscription
from students.onboarding import lms
from students.onboarding.lms import LMSError

STUDENT_FIELDS = (
    "id",
    "full_name",
    "email",
    "phone",
    "country",
    "time_zone",
    "language",
    "interests",
    "status",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "consent_given",
    "consent_at",
    "sms_consent_at",
    "sms_consent_text",
    "created_at",
    "activated_at",
)


class StudentsPart(PrivacyPart):
    name = "students"

    def _students(self, person):
        # lower(email), as the unique index has it: found through the index.
        return Student.objects.alias(email_ci=Lower("email")).filter(email_ci=person.email)

    def identify(self, person):
        for student in self._students(person):
            person.objects.append(student)
            person.names.add(student.full_name)
            if student.phone:
                person.phones.add(student.phone)

    def _intake(self, person):
        students = [obj.pk for obj in person.objects if isinstance(obj, Student)]
        return IntakeRecord.objects.filter(
            Q(student__in=students) | mentions((), person, json_fields=("data",))
        )

    def export(self, person):
        students = self._students(person)
        return {
            "students": [
                {name: getattr(student, name) for name in STUDENT_FIELDS}
                | {"plan": student.plan.name}
                for student in students.select_related("plan")
            ],
            "subscriptions": list(
                Subscription.objects.filter(student__in=students).values(
                    "stripe_subscription_id", "status", "current_period_end", "created_at"
                )
            ),
            "invoices": list(
                Invoice.objects.filter(student__in=students).values(
                    "stripe_invoice_id", "number", "status", "total", "currency", "issued_at"
                )
            ),
            "onboarding_steps": list(
                OnboardingStep.objects.filter(student__in=students).values(
                    "name", "status", "started_at", "finished_at"
                )
            ),
            "intake_records": list(
                self._intake(person).values("source", "status", "data", "created_at")
            ),
        }

    def purposes(self, person):
        rows = []
        for student in self._students(person):
            rows.append(
                {
                    "purpose": "Curso y servicio contratado",
                    "basis": CONTRACT,
                    "status": student.get_status_display(),
                    "since": student.created_at,
                    "source": student.get_source_display(),
                }
            )
            if student.sms_consent_at:
                rows.append(
                    {
                        "purpose": "SMS de recordatorio",
                        "basis": CONSENT,
                        "status": "concedido",
                        "since": student.sms_consent_at,
                        "source": student.sms_consent_text,
                    }
                )
        return rows

    def forget(self, person):
        answers = {}
        for student in self._students(person):
            if student.stripe_customer_id:
                answers["stripe"] = self._forget_stripe(student.stripe_customer_id)
            try:
                answers["lms"] = lms.forget_account(student)
            except LMSError as exc:
                answers["lms"] = f"error: {str(exc)[:200]}"
        return answers

    def _forget_stripe(self, customer_id):
        try:
            call(get_client().v1.customers.delete, customer_id)
        except BillingError as exc:
            if exc.code == "resource_missing":
                return "no existía"
            return f"error: {str(exc)[:200]}"
        return "borrado"

    def erase(self, person):
        students = list(self._students(person))
        intake = IntakeRecord.objects.filter(
            pk__in=list(self._intake(person).values_list("pk", flat=True))
        ).update(data={"erased": True}, errors={}, external_id="", updated_at=timezone.now())
        steps = scrub(
            OnboardingStep.objects.filter(student__in=students),
            person,
            text_fields=("error",),
            json_fields=("detail",),
        )
        for student in students:
            student.full_name = ERASED_NAME
            student.email = erased_email("alumno", student.pk)
            student.phone = ""
            student.interests = []
            student.utm_source = student.utm_medium = student.utm_campaign = ""
            student.utm_term = student.utm_content = ""
            student.lms_user_id = ""
            student.stripe_customer_id = ""
            student.save()
        # Stripe's invoice pages show the name, email and address to anyone with the
        # link; amounts and dates stay for the accounts.
        invoices = Invoice.objects.filter(student__in=students).update(
            hosted_invoice_url="", invoice_pdf=""
        )
        return {
            "students": len(students),
            "intake_records": intake,
            "onboarding_steps": steps,
            "invoices": invoices,
        }


register_part(StudentsPart())
