from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft, DraftStatus, PolicyMode, ReviewPolicy
from courseops.reviews.services import approve_draft
from courseops.support.models import Ticket
from students.models import OnboardingStep, Student
from students.onboarding.pipeline import retry_step, start_onboarding

pytestmark = pytest.mark.django_db
Step = OnboardingStep


def onboard(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_onboarding(student=student)
    student.refresh_from_db()
    return {s.name: s for s in student.onboarding_steps.all()}


def test_a_student_goes_through_every_step_and_waits_for_review_of_the_welcome(
    student, django_capture_on_commit_callbacks
):
    steps = onboard(student, django_capture_on_commit_callbacks)

    assert student.status == Student.Status.ACTIVE
    assert {name: s.status for name, s in steps.items()} == {
        "validate": "done",
        "account": "done",
        "materials": "done",
        "webinars": "done",  # the webinars app listens (no upcoming webinar here)
        "welcome_email": "done",
        "follow_up": "done",
    }
    assert student.materials.count() == 2
    assert steps["webinars"].detail == {"webinars.signals": {"registered": 0, "webinars": []}}
    draft = Draft.objects.get(kind="welcome_email")
    assert draft.status == DraftStatus.PENDING
    assert draft.target == student
    assert draft.recipient == "lucia@example.com"
    assert "Lucía" in draft.subject
    assert "LLMs" in draft.body
    assert not OutboundMessage.objects.exists()
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.target, ticket.is_open) == ("welcome_call", student, True)
    assert abs(ticket.due_at - (timezone.now() + timedelta(days=2))) < timedelta(minutes=1)


def test_under_the_auto_policy_the_welcome_goes_out_in_our_template_with_a_sign_in_link(
    student, client, django_capture_on_commit_callbacks
):
    ReviewPolicy.objects.update_or_create(kind="welcome_email", defaults={"mode": PolicyMode.AUTO})

    onboard(student, django_capture_on_commit_callbacks)

    message = OutboundMessage.objects.get()
    assert message.recipient == "lucia@example.com"
    assert message.status == "sent"
    assert len(mail.outbox) == 1
    assert message.subject == "¡Te damos la bienvenida, Lucía!"
    assert "Entrar a mi plataforma" in message.html_body
    link = message.text_body.split("Entra a tu plataforma: ")[1].split()[0]
    assert link.startswith("http://127.0.0.1:8000/portal/acceso/")
    assert "LLMs" in message.text_body
    response = client.post(link.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_approving_the_pending_welcome_queues_it_once(
    student, staff_user, django_capture_on_commit_callbacks
):
    onboard(student, django_capture_on_commit_callbacks)
    draft = Draft.objects.get(kind="welcome_email")

    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, subject="Bienvenida, Lucía")

    message = OutboundMessage.objects.get()
    assert message.subject == "Bienvenida, Lucía"
    assert Draft.objects.get().status == DraftStatus.APPLIED


def test_rerunning_every_step_creates_no_second_draft_ticket_or_material(
    student, django_capture_on_commit_callbacks
):
    onboard(student, django_capture_on_commit_callbacks)

    for step in student.onboarding_steps.all():
        with django_capture_on_commit_callbacks(execute=True):
            retry_step(step=step, resume=False)

    assert Draft.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert student.materials.count() == 2


def test_a_step_left_running_by_a_crash_runs_again_without_duplicating(
    student, django_capture_on_commit_callbacks
):
    onboard(student, django_capture_on_commit_callbacks)
    Student.objects.filter(pk=student.pk).update(status=Student.Status.ONBOARDING)
    Step.objects.filter(student=student, name__in=["welcome_email", "follow_up"]).update(
        status=Step.Status.PENDING
    )
    Step.objects.filter(student=student, name="welcome_email").update(
        status=Step.Status.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )

    from students.onboarding.pipeline import sweep_onboarding

    with django_capture_on_commit_callbacks(execute=True):
        sweep_onboarding(now=timezone.now() + timedelta(minutes=5))

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    assert Draft.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_an_ai_outage_fails_the_welcome_step_transiently_and_retry_resumes_from_it(
    student, settings, httpserver, django_capture_on_commit_callbacks
):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = httpserver.url_for("/v1")
    settings.AI_RETRY_BACKOFF_SECONDS = 0
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": "overloaded"}}, status=503
    )

    steps = onboard(student, django_capture_on_commit_callbacks)

    welcome = steps["welcome_email"]
    assert welcome.status == Step.Status.FAILED
    assert welcome.error.startswith("StepFailed")
    assert welcome.detail["permanent"] is False
    assert steps["follow_up"].status == Step.Status.PENDING
    assert steps["materials"].status == Step.Status.DONE
    assert student.status == Student.Status.ONBOARDING

    settings.AI_PROVIDER = "offline"
    with django_capture_on_commit_callbacks(execute=True):
        retry_step(step=welcome)

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    assert Step.objects.get(student=student, name="materials").attempts == 1
    assert Step.objects.get(student=student, name="welcome_email").attempts == 2
    assert Draft.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_failing_step_stops_the_pipeline_and_keeps_what_earlier_steps_did(
    student, settings, django_capture_on_commit_callbacks
):
    settings.LMS_BACKEND = "thinkific"
    settings.THINKIFIC_API_KEY = ""

    steps = onboard(student, django_capture_on_commit_callbacks)

    assert steps["validate"].status == Step.Status.DONE
    assert steps["account"].status == Step.Status.FAILED
    assert "THINKIFIC_API_KEY" in steps["account"].error
    assert all(steps[name].status == Step.Status.PENDING for name in Step.ORDER[2:])
    assert not Draft.objects.exists()


def test_the_sweeper_starts_a_pipeline_whose_task_was_lost(
    student, django_capture_on_commit_callbacks
):
    start_onboarding(student=student)  # its on-commit task never runs: the broker lost it

    from students.onboarding.pipeline import sweep_onboarding

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_onboarding(now=timezone.now() + timedelta(minutes=5)) == 1

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE


def test_the_sweeper_leaves_a_permanently_failed_step_to_staff(
    student, settings, django_capture_on_commit_callbacks
):
    settings.LMS_BACKEND = "thinkific"
    settings.THINKIFIC_API_KEY = ""
    steps = onboard(student, django_capture_on_commit_callbacks)
    assert steps["account"].detail == {"permanent": True}

    from students.onboarding.pipeline import sweep_onboarding

    assert sweep_onboarding(now=timezone.now() + timedelta(minutes=5)) == 0


def test_a_spent_ai_budget_holds_the_welcome_until_the_budget_resets(
    student, settings, django_capture_on_commit_callbacks
):
    from courseops.ai import budget
    from students.onboarding.pipeline import sweep_onboarding

    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-test"
    settings.AI_OVER_BUDGET = "queue"
    settings.AI_DAILY_BUDGET_USD = 0

    steps = onboard(student, django_capture_on_commit_callbacks)

    welcome = steps["welcome_email"]
    assert welcome.status == Step.Status.FAILED
    assert welcome.detail["permanent"] is False
    assert "retry_at" in welcome.detail
    soon = timezone.now() + timedelta(minutes=10)
    assert sweep_onboarding(now=soon) == 0
    after_reset = timezone.now() + timedelta(seconds=budget.seconds_until_reset() + 60)
    assert sweep_onboarding(now=after_reset) == 1


def test_an_app_above_can_put_the_next_webinar_into_the_welcome(
    student, django_capture_on_commit_callbacks
):
    from students.signals import welcome_email_context

    def next_webinar(sender, student, **kwargs):
        return {"next_webinar": {"title": "Agentes en la práctica", "when": "el martes 2"}}

    welcome_email_context.connect(next_webinar)
    try:
        onboard(student, django_capture_on_commit_callbacks)
    finally:
        welcome_email_context.disconnect(next_webinar)

    draft = Draft.objects.get()
    assert "«Agentes en la práctica», el martes 2" in draft.body
    assert draft.context["next_webinar"]["title"] == "Agentes en la práctica"
    assert draft.context["materials"] == ["Curso de IA", "Guía de prompts"]


def test_the_welcome_is_written_in_the_students_language(
    make_student, django_capture_on_commit_callbacks
):
    student = make_student(language="en", full_name="John Smith", email="john@example.com")

    onboard(student, django_capture_on_commit_callbacks)

    assert Draft.objects.get().subject == "Welcome aboard, John!"


def test_a_step_whose_worker_died_is_taken_over_by_the_next_run_at_once(
    student, django_capture_on_commit_callbacks
):
    from students.onboarding.pipeline import run_onboarding
    from tests.core.test_liveness import dead_holder

    onboard(student, django_capture_on_commit_callbacks)
    Student.objects.filter(pk=student.pk).update(status=Student.Status.ONBOARDING)
    Step.objects.filter(student=student, name__in=["welcome_email", "follow_up"]).update(
        status=Step.Status.PENDING
    )
    # Killed seconds ago: far from the lease, but its process is gone.
    Step.objects.filter(student=student, name="welcome_email").update(
        status=Step.Status.RUNNING, started_at=timezone.now(), held_by=dead_holder()
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_onboarding(student_id=student.pk)

    student.refresh_from_db()
    assert student.status == Student.Status.ACTIVE
    assert Step.objects.get(student=student, name="welcome_email").attempts == 2
    assert Draft.objects.count() == 1
    assert Ticket.objects.count() == 1
