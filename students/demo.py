"""Demo plans, materials and students in every onboarding and billing state (idempotent)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from courseops.core.demo import register
from students.models import Material, OnboardingStep, Plan, Student, StudentMaterial, Subscription
from students.onboarding.pipeline import run_onboarding

Step = OnboardingStep
MATERIALS = {
    "intro": (
        "Introducción a la IA generativa",
        Material.Kind.COURSE,
        "https://example.com/c/intro",
    ),
    "prompts": ("Guía de prompts (PDF)", Material.Kind.DOCUMENT, "https://example.com/guia.pdf"),
    "agents": ("Agentes con LLMs", Material.Kind.COURSE, "https://example.com/c/agentes"),
    "vision": ("Visión artificial práctica", Material.Kind.VIDEO, "https://example.com/v/vision"),
    "mentoring": ("Mentoría 1:1 (reserva)", Material.Kind.LINK, "https://example.com/mentoria"),
}
PLANS = [
    ("basico", "Básico", 49, ["intro", "prompts"]),
    ("premium", "Premium", 99, ["intro", "prompts", "agents", "vision"]),
    ("vip", "VIP", 249, ["intro", "prompts", "agents", "vision", "mentoring"]),
]
# email, name, plan, student status, {step: status} (steps not named are pending),
# an error for a failed step, Stripe subscription status.
STUDENTS = [
    ("maria.demo@example.com", "María López", "basico", "onboarding", "materials", "", ""),
    ("jorge.demo@example.com", "Jorge Ramírez", "premium", "onboarding", "welcome_email",
     "StepFailed: Proveedor de IA no disponible (503); se reintentará.", ""),
    ("pedro.demo@example.com", "Pedro Núñez", "premium", "past_due", None, "", "past_due"),
    ("carmen.demo@example.com", "Carmen Ortega", "vip", "inactive", None, "", "canceled"),
    ("sofia.demo@example.com", "Sofía Castro", "vip", "active", None, "", "active"),
]  # fmt: skip
# Onboarded by the real pipeline: a Spanish-speaking student and an English-speaking one
# (her welcome draft, sign-in email and portal are in English).
BY_PIPELINE = [
    (
        "lucia.alumna.demo@example.com",
        "Lucía Fernández",
        "premium",
        "es",
        ["LLMs", "visión artificial"],
    ),
    ("emma.student.demo@example.com", "Emma Wilson", "basico", "en", ["LLMs", "automation"]),
]


@register
def load_students_demo(*, staff):
    plans = _plans()
    for email, name, slug, status, stop_at, error, subscription in STUDENTS:
        student, created = Student.objects.get_or_create(
            email=email,
            defaults={
                "full_name": name,
                "plan": plans[slug],
                "status": status,
                "source": Student.Source.TYPEFORM,
                "interests": ["automatización", "LLMs"],
                "consent_given": True,
                "consent_at": timezone.now(),
                "activated_at": None if status == "onboarding" else timezone.now(),
            },
        )
        if created:
            _steps(student, stop_at=stop_at, error=error)
            if subscription:
                Subscription.objects.create(
                    student=student,
                    plan=student.plan,
                    stripe_subscription_id=f"sub_demo_{student.pk}",
                    status=subscription,
                    current_period_end=timezone.now() + timedelta(days=20),
                    started_at=timezone.now() - timedelta(days=75),
                    ended_at=timezone.now() - timedelta(days=10)
                    if subscription == "canceled"
                    else None,
                )
    _active_through_the_pipeline(plans)


def _plans():
    materials = {}
    for key, (title, kind, url) in MATERIALS.items():
        materials[key], _ = Material.objects.get_or_create(
            title=title, defaults={"kind": kind, "url": url}
        )
    plans = {}
    for order, (slug, name, price, keys) in enumerate(PLANS):
        plan, created = Plan.objects.get_or_create(
            slug=slug, defaults={"name": name, "price": price, "sort_order": order}
        )
        if created:
            plan.materials.set([materials[key] for key in keys])
        plans[slug] = plan
    return plans


def _steps(student, *, stop_at, error):
    """Rows as the pipeline leaves them: done up to `stop_at`, which is pending or failed."""
    now = timezone.now()
    stop = Step.ORDER.index(stop_at) if stop_at else len(Step.ORDER)
    rows = []
    for index, name in enumerate(Step.ORDER):
        row = Step(student=student, name=name)
        if index < stop:
            row.status = Step.Status.SKIPPED if name == Step.Name.WEBINARS else Step.Status.DONE
            row.attempts, row.started_at, row.finished_at = 1, now, now
        elif index == stop and error:
            row.status, row.error, row.attempts = Step.Status.FAILED, error, 3
            row.started_at, row.finished_at, row.detail = now, now, {"permanent": False}
        rows.append(row)
    Step.objects.bulk_create(rows, ignore_conflicts=True)
    if stop > Step.ORDER.index(Step.Name.MATERIALS):
        StudentMaterial.objects.bulk_create(
            [StudentMaterial(student=student, material=m) for m in student.plan.materials.all()],
            ignore_conflicts=True,
        )


def _active_through_the_pipeline(plans):
    """Students onboarded by the real pipeline (welcome draft waiting, ticket open), only
    with the offline AI: demo data never spends money on a paid provider."""
    if settings.AI_PROVIDER != "offline":
        return
    for email, name, slug, language, interests in BY_PIPELINE:
        if Student.objects.filter(email=email).exists():
            continue
        student = Student.objects.create(
            email=email,
            full_name=name,
            plan=plans[slug],
            source=Student.Source.API,
            language=language,
            interests=interests,
        )
        Step.objects.bulk_create([Step(student=student, name=n) for n in Step.ORDER])
        run_onboarding(student_id=student.pk)


# Intake's demo (records in every intake state) runs after the students above exist.
from students.intake import demo as intake_demo  # noqa: E402, F401
