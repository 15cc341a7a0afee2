"""The students app's outbound webhook events (courseops.outbound): what they carry and
where they are announced. Payloads carry ids and public fields: no name, email or phone
(an integrator reads those through the API with the student's id)."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from courseops.outbound.catalogue import (
    DATETIME,
    ID,
    INTEGER,
    NULLABLE_DATETIME,
    TEXT,
    EventType,
    iso,
    obj,
    register_event,
)
from courseops.outbound.services.announce import announce
from students.models import Plan
from students.signals import subscription_cancelled

STUDENT = obj(
    {
        "id": ID,
        "plan": TEXT,
        "status": TEXT,
        "language": TEXT,
        "source": TEXT,
        "created_at": DATETIME,
        "activated_at": NULLABLE_DATETIME,
    }
)
STUDENT_EXAMPLE = {
    "id": 1042,
    "plan": "pro",
    "status": "onboarding",
    "language": "es",
    "source": "typeform",
    "created_at": "2026-11-24T15:00:00Z",
    "activated_at": None,
}
ACTIVE_EXAMPLE = {**STUDENT_EXAMPLE, "status": "active", "activated_at": "2026-11-24T15:02:10Z"}


def student_data(student):
    return {
        "id": student.pk,
        "plan": student.plan.slug,
        "status": student.status,
        "language": student.language,
        "source": student.source,
        "created_at": iso(student.created_at),
        "activated_at": iso(student.activated_at),
    }


register_event(
    EventType(
        name="student.registered",
        label=_("Alta de estudiante"),
        description=_("Una inscripción nueva creó un estudiante (no una repetida)."),
        schema=obj({"student": STUDENT}),
        example={"student": STUDENT_EXAMPLE},
    )
)
register_event(
    EventType(
        name="student.onboarded",
        label=_("Estudiante dado de alta"),
        description=_("Terminó el alta: cuenta, materiales y webinars listos; ya tiene acceso."),
        schema=obj({"student": STUDENT}),
        example={"student": ACTIVE_EXAMPLE},
    )
)
register_event(
    EventType(
        name="student.plan_changed",
        label=_("Cambio de plan"),
        description=_("El plan del estudiante cambió (Stripe, el equipo o una nueva inscripción)."),
        schema=obj({"student": STUDENT, "previous_plan": TEXT, "source": TEXT}),
        example={"student": ACTIVE_EXAMPLE, "previous_plan": "basico", "source": "stripe"},
    )
)
register_event(
    EventType(
        name="payment.failed",
        label=_("Pago fallido"),
        description=_("Stripe no pudo cobrar una factura de la suscripción del estudiante."),
        schema=obj(
            {
                "student": STUDENT,
                "invoice_id": TEXT,
                "attempt": INTEGER,
                "amount_due": INTEGER,
                "currency": TEXT,
                "next_attempt_at": NULLABLE_DATETIME,
            }
        ),
        example={
            "student": {**ACTIVE_EXAMPLE, "status": "past_due"},
            "invoice_id": "in_1QxY2zAbCdEf",
            "attempt": 1,
            "amount_due": 4900,
            "currency": "usd",
            "next_attempt_at": "2026-11-27T15:00:00Z",
        },
    )
)
register_event(
    EventType(
        name="subscription.cancelled",
        label=_("Suscripción cancelada"),
        description=_("Una suscripción cancelada quitó el acceso del estudiante."),
        schema=obj(
            {
                "student": STUDENT,
                "subscription_id": ID,
                "stripe_subscription_id": TEXT,
                "plan": TEXT,
                "ended_at": NULLABLE_DATETIME,
            }
        ),
        example={
            "student": {**ACTIVE_EXAMPLE, "status": "inactive"},
            "subscription_id": 311,
            "stripe_subscription_id": "sub_1QxY2zAbCdEf",
            "plan": "pro",
            "ended_at": "2026-12-24T15:00:00Z",
        },
    )
)


def student_registered(student):
    announce(
        "student.registered", lambda: {"student": student_data(student)}, person_email=student.email
    )


def student_onboarded(student):
    announce(
        "student.onboarded", lambda: {"student": student_data(student)}, person_email=student.email
    )


def student_plan_changed(student, *, old_plan_id, source):
    def data():
        previous = Plan.objects.filter(pk=old_plan_id).values_list("slug", flat=True).first()
        return {"student": student_data(student), "previous_plan": previous or "", "source": source}

    announce(
        "student.plan_changed",
        data,
        person_email=student.email,
    )


def payment_failed(student, *, invoice, attempt, next_attempt_at):
    announce(
        "payment.failed",
        lambda: {
            "student": student_data(student),
            "invoice_id": invoice["id"],
            "attempt": attempt,
            "amount_due": int(invoice.get("amount_due") or 0),
            "currency": (invoice.get("currency") or "").lower(),
            "next_attempt_at": iso(next_attempt_at),
        },
        person_email=student.email,
    )


@receiver(subscription_cancelled, dispatch_uid="students.webhook_subscription_cancelled")
def announce_subscription_cancelled(sender, student, subscription, **kwargs):
    announce(
        "subscription.cancelled",
        lambda: {
            "student": student_data(student),
            "subscription_id": subscription.pk,
            "stripe_subscription_id": subscription.stripe_subscription_id,
            "plan": subscription.plan.slug,
            "ended_at": iso(subscription.ended_at),
        },
        person_email=student.email,
    )
