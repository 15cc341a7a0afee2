"""The onboarding drip: day 1, 3 and 7 in the student's own time zone, once per student and
step however often the scan runs (or dies), stopped for whoever already took the step,
never for imported students, through the review policy, the rollout and the outbox."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import dispatch_due_messages
from courseops.reviews.models import Draft, DraftStatus, PolicyMode
from courseops.reviews.registry import get_kind
from courseops.reviews.rollout import set_automation_policy, set_kind_policy
from courseops.reviews.services import DraftWithdrawn, approve_draft
from engagement.drip.defaults import install_default_drip
from engagement.drip.models import DripMessage, DripSend
from engagement.drip.services import STALE_CLAIM, due_at, scan_drip
from engagement.models import ActivityKind
from engagement.services.activity import Activity, record_activity
from engagement.tasks import draft_drip_messages
from students.intake.services import register_student
from students.models import OnboardingStep, Plan, Student
from tests.rollout_helpers import NAMES, automatic_under
from webinars.models import Registration
from webinars.services import registration_create, webinar_create, webinar_schedule

pytestmark = pytest.mark.django_db

# Monday 23:30 in Mexico City (UTC-6): onboarding finished late at night.
ACTIVATED = datetime(2026, 11, 17, 5, 30, tzinfo=UTC)
# 10:00 in Mexico City on the next local days.
DAY_1 = datetime(2026, 11, 17, 16, 0, tzinfo=UTC)
DAY_3 = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
DAY_7 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 18, 5, 0, tzinfo=UTC)  # 23:00 after day 1 in Mexico City
MORNING = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # 09:00 there, when quiet hours end


@pytest.fixture(autouse=True)
def drip(plan):
    install_default_drip(plan)


@pytest.fixture
def onboarded(make_student):
    """A student whose onboarding pipeline finished at `activated_at` (its rows done)."""

    def make(activated_at=ACTIVATED, **fields):
        student = make_student(activated_at=activated_at, **fields)
        OnboardingStep.objects.bulk_create(
            OnboardingStep(student=student, name=name, status=OnboardingStep.Status.DONE)
            for name in OnboardingStep.ORDER
        )
        return student

    return make


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def scan(capture, at, execute=True):
    with time_machine.travel(at, tick=False), capture(execute=execute):
        return scan_drip()


def signed_in(student, at=ACTIVATED):
    record_activity(
        Activity(student=student, kind=ActivityKind.SIGN_IN, occurred_at=at, source="portal")
    )


def auto(staff_user):
    set_kind_policy(kind="onboarding_drip", mode=PolicyMode.AUTO, user=staff_user)


# --- When ------------------------------------------------------------------------------------


def test_day_one_is_ten_in_the_morning_of_the_next_local_day_not_half_an_hour_later(
    onboarded, capture
):
    student = onboarded(full_name="Lucía Pérez")

    assert scan(capture, ACTIVATED + timedelta(minutes=30)) == 0
    assert scan(capture, DAY_1 - timedelta(minutes=1)) == 0
    assert scan(capture, DAY_1) == 1

    send = DripSend.objects.get()
    assert (send.student, send.day, send.goal, send.due_at) == (student, 1, "sign_in", DAY_1)
    draft = Draft.objects.get(kind="onboarding_drip")
    assert (draft.status, draft.automation, draft.recipient) == (
        "pending",
        "onboarding",
        student.email,
    )
    assert "Lucía" in draft.subject  # the staff's text with the student's name


def test_the_same_moment_is_another_day_in_madrid():
    # 05:30 UTC is 06:30 in Madrid on the 17th: day 1 is the 18th at 10:00 there.
    assert due_at(ACTIVATED, 1, "Europe/Madrid") == datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    assert due_at(ACTIVATED, 1, "America/Mexico_City") == DAY_1
    # A zone the database cannot read falls back to the business's (no crash, no skip).
    assert due_at(ACTIVATED, 1, "Mars/Olympus") is not None


def test_day_three_and_seven_follow_with_their_own_steps(onboarded, capture):
    onboarded()
    for at in (DAY_1, DAY_3, DAY_7):
        scan(capture, at)

    assert list(DripSend.objects.order_by("day").values_list("day", "goal", "due_at")) == [
        (1, "sign_in", DAY_1),
        (3, "first_lesson", DAY_3),
        (7, "first_webinar", DAY_7),
    ]


def test_students_onboarded_long_before_the_drip_existed_get_no_stale_day_one(onboarded, capture):
    onboarded(activated_at=ACTIVATED - timedelta(days=90))

    assert scan(capture, DAY_7) == 0
    assert not DripSend.objects.exists()


# --- Exactly once ------------------------------------------------------------------------------


def test_duplicate_scans_claim_and_draft_each_step_once(onboarded, capture):
    onboarded()

    assert scan(capture, DAY_1) == 1
    assert scan(capture, DAY_1 + timedelta(minutes=15)) == 0
    assert scan(capture, DAY_1 + timedelta(minutes=15)) == 0

    assert DripSend.objects.count() == 1
    assert Draft.objects.filter(kind="onboarding_drip").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_claim_and_draft_each_step_once(onboarded):
    for _ in range(15):
        onboarded()
    start = threading.Barrier(2)
    claimed = {}

    def run(name):
        try:
            with time_machine.travel(DAY_1, tick=False):
                start.wait(5)
                claimed[name] = scan_drip()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert claimed["a"] + claimed["b"] == 15
    assert DripSend.objects.count() == 15
    assert Draft.objects.filter(kind="onboarding_drip").count() == 15


def test_a_run_killed_before_drafting_is_taken_up_by_a_later_scan_and_drafted_once(
    onboarded, capture
):
    onboarded()
    # The scan committed its claim, then its worker died: the drafting task never ran.
    assert scan(capture, DAY_1, execute=False) == 1
    assert DripSend.objects.get().status == "claimed"
    assert not Draft.objects.exists()

    # The next scan (once the claim is stale) enqueues it again; a retried task does too.
    later = DAY_1 + STALE_CLAIM + timedelta(minutes=1)
    assert scan(capture, later) == 0
    with time_machine.travel(later, tick=False):
        draft_drip_messages([DripSend.objects.get().pk])

    assert DripSend.objects.get().status == "drafted"
    assert Draft.objects.filter(kind="onboarding_drip").count() == 1


def test_a_send_approved_twice_or_applied_again_queues_one_email(onboarded, capture, staff_user):
    auto(staff_user)
    student = onboarded()
    scan(capture, DAY_1)
    send = DripSend.objects.get()
    draft = Draft.objects.get(kind="onboarding_drip")

    with time_machine.travel(DAY_1, tick=False):
        get_kind("onboarding_drip").apply(draft, None)  # a redelivered apply task

    assert OutboundMessage.objects.filter(recipient=student.email).count() == 1
    send.refresh_from_db()
    assert send.status == "sent"


def test_a_student_who_changes_plan_gets_each_step_once(onboarded, capture):
    student = onboarded()
    scan(capture, DAY_1)
    other = Plan.objects.create(slug="vip", name="VIP")
    install_default_drip(other)
    Student.objects.filter(pk=student.pk).update(plan=other)

    assert scan(capture, DAY_1 + timedelta(minutes=15)) == 0
    assert DripSend.objects.filter(student=student, goal="sign_in").count() == 1


def test_the_scan_costs_the_same_queries_for_2_and_20_students(onboarded, capture):
    def queries():
        DripSend.objects.all().delete()
        with (
            CaptureQueriesContext(connection) as captured,
            time_machine.travel(DAY_1, tick=False),
            capture(execute=False),
        ):
            scan_drip()
        return len(captured)

    for _ in range(2):
        onboarded()
    small = queries()
    for _ in range(18):
        onboarded()

    assert queries() == small
    assert DripSend.objects.count() == 20


# --- Stopped once the step is taken -----------------------------------------------------------


def test_a_student_who_signed_in_gets_no_day_one_and_staff_see_why(onboarded, capture):
    student = onboarded()
    signed_in(student)

    assert scan(capture, DAY_1) == 1

    send = DripSend.objects.get()
    assert (send.status, send.skipped_reason) == ("skipped", "ya entró al portal.")
    assert not Draft.objects.exists()


def test_watching_part_of_a_lesson_stops_day_three_opening_its_page_does_not(onboarded, capture):
    watched, opened = onboarded(), onboarded()
    signed_in(watched), signed_in(opened)
    record_activity(
        Activity(student=watched, kind=ActivityKind.LESSON_WATCHED, occurred_at=DAY_1,
                 source="portal")
    )  # fmt: skip
    record_activity(
        Activity(student=opened, kind=ActivityKind.LESSON_VIEWED, occurred_at=DAY_1,
                 source="portal")
    )  # fmt: skip

    scan(capture, DAY_3)

    day_3 = {s.student: s for s in DripSend.objects.filter(goal="first_lesson")}
    assert day_3[watched].status == "skipped"
    assert day_3[opened].status == "drafted"


def test_only_a_webinar_registration_of_their_own_stops_day_seven(onboarded, capture):
    own, automatic = onboarded(), onboarded()
    with time_machine.travel(DAY_1, tick=False):
        webinar = webinar_create(
            title="Agentes en vivo",
            starts_at=DAY_7 + timedelta(days=3),
            time_zone="UTC",
            plans=[own.plan],
        )
        webinar = webinar_schedule(webinar=webinar)
        registration_create(webinar=webinar, student=own, source=Registration.Source.PORTAL)
        # Onboarding registers every student to the plan's webinars: not their own step.
        registration_create(
            webinar=webinar, student=automatic, source=Registration.Source.ONBOARDING
        )

    scan(capture, DAY_7)

    day_7 = {s.student: s for s in DripSend.objects.filter(goal="first_webinar")}
    assert day_7[own].status == "skipped"
    assert day_7[own].skipped_reason == "ya se apuntó a un webinar o asistió a uno."
    assert day_7[automatic].status == "drafted"


def test_signing_in_while_the_draft_waits_withdraws_it_at_approval(onboarded, capture, staff_user):
    student = onboarded()
    scan(capture, DAY_1)
    draft = Draft.objects.get(kind="onboarding_drip")
    signed_in(student, at=DAY_1 + timedelta(hours=1))

    with pytest.raises(DraftWithdrawn), time_machine.travel(DAY_1 + timedelta(hours=2)):
        approve_draft(draft=draft, user=staff_user)

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.WITHDRAWN
    send = DripSend.objects.get()
    assert (send.status, send.skipped_reason) == ("skipped", "ya entró al portal.")
    assert not OutboundMessage.objects.exists()


def test_signing_in_while_the_email_waits_for_the_morning_keeps_it_from_going(
    onboarded, capture, staff_user
):
    student = onboarded()
    scan(capture, DAY_1)
    with time_machine.travel(NIGHT, tick=False), capture(execute=True):
        approve_draft(draft=Draft.objects.get(kind="onboarding_drip"), user=staff_user)
    message = OutboundMessage.objects.get(recipient=student.email)
    assert message.send_at == MORNING
    signed_in(student, at=NIGHT + timedelta(hours=2))

    with time_machine.travel(MORNING, tick=False), capture(execute=True):
        dispatch_due_messages()

    message.refresh_from_db()
    assert message.status != Status.SENT
    assert mail.outbox == []
    assert DripSend.objects.get().status == "skipped"


def test_a_draft_approved_after_its_time_is_withdrawn_as_late(onboarded, capture, staff_user):
    onboarded()
    scan(capture, DAY_1)
    draft = Draft.objects.get(kind="onboarding_drip")

    with pytest.raises(DraftWithdrawn), time_machine.travel(DAY_1 + timedelta(days=2)):
        approve_draft(draft=draft, user=staff_user)

    assert DripSend.objects.get().skipped_reason.startswith("llega tarde: tocaba el 17/11/")


# --- Who gets it ----------------------------------------------------------------------------


def test_imported_students_and_students_without_onboarding_get_no_drip(
    onboarded, make_student, capture
):
    onboarded(source=Student.Source.THINKIFIC)
    onboarded(source=Student.Source.TEACHABLE)
    make_student(activated_at=ACTIVATED)  # no onboarding pipeline (staff made it active)
    onboarded(status=Student.Status.PAST_DUE)

    for at in (DAY_1, DAY_3, DAY_7):
        assert scan(capture, at) == 0
    assert not DripSend.objects.exists()


def test_an_inactive_message_or_plan_sends_nothing(onboarded, plan, capture):
    onboarded()
    DripMessage.objects.filter(plan=plan, day=1).update(active=False)

    assert scan(capture, DAY_1) == 0


def test_a_registration_that_finishes_onboarding_gets_day_one_next_morning(plan, capture):
    plan.slug = "premium"
    plan.save()
    with time_machine.travel(ACTIVATED, tick=False), capture(execute=True):
        result = register_student(
            data={
                "email": "nueva@example.com",
                "full_name": "Nueva Alumna",
                "plan": "premium",
                "consent": True,
                "time_zone": "America/Mexico_City",
            },
            source="api",
        )
    assert Student.objects.get(pk=result.student.pk).activated_at == ACTIVATED

    assert scan(capture, DAY_1) == 1
    assert Draft.objects.get(kind="onboarding_drip").target.student == result.student


# --- Review, rollout, outbox ------------------------------------------------------------------


def test_under_auto_it_goes_through_the_outbox_in_the_students_language(
    onboarded, capture, staff_user
):
    auto(staff_user)
    student = onboarded(full_name="Emma Wilson", email="emma@example.com", language="en")

    scan(capture, DAY_1)
    with time_machine.travel(DAY_1, tick=False), capture(execute=True):
        dispatch_due_messages()

    message = OutboundMessage.objects.get(recipient="emma@example.com")
    assert (message.category, message.automation, message.status) == (
        "engagement",
        "onboarding",
        Status.SENT,
    )
    sent = mail.outbox[0]
    assert sent.subject == "Emma, your course is waiting: sign in to the portal"
    html = sent.alternatives[0][0]
    assert "Hi Emma" in html
    assert "Entrar" not in html
    assert "Go to my learning platform" in html  # the step's button, in English
    assert DripSend.objects.get(student=student).status == "sent"


def test_approved_in_the_students_night_it_waits_for_their_morning(onboarded, capture, staff_user):
    onboarded()
    scan(capture, DAY_1)
    draft = Draft.objects.get(kind="onboarding_drip")

    with time_machine.travel(NIGHT, tick=False), capture(execute=True):
        approve_draft(draft=draft, user=staff_user)

    message = OutboundMessage.objects.get()
    assert message.send_at == MORNING
    assert message.status == Status.QUEUED


def test_in_shadow_the_drip_is_drafted_and_never_sent(onboarded, capture, staff_user):
    auto(staff_user)
    set_automation_policy(automation="onboarding", mode=PolicyMode.SHADOW, user=staff_user)
    onboarded()

    scan(capture, DAY_1)
    with time_machine.travel(DAY_1, tick=False), capture(execute=True):
        dispatch_due_messages()

    draft = Draft.objects.get(kind="onboarding_drip")
    assert (draft.status, draft.arm) == ("shadow", "shadow")
    assert not OutboundMessage.objects.exists()
    assert mail.outbox == []


def test_onboarding_at_n_percent_sends_the_drip_for_the_same_people_and_holds_the_others(
    onboarded, capture, staff_user
):
    auto(staff_user)
    set_automation_policy(
        automation="onboarding", mode=PolicyMode.PERCENT, percent=50, user=staff_user
    )
    students = [onboarded(email=f"{name}@example.com") for name in NAMES]
    automatic = automatic_under("automation:onboarding", 50, [s.email for s in students])

    scan(capture, DAY_1)

    for draft in Draft.objects.filter(kind="onboarding_drip"):
        expected = ("applied", "auto") if draft.recipient in automatic else ("pending", "review")
        assert (draft.status, draft.arm) == expected, draft.recipient
    queued = set(OutboundMessage.objects.values_list("recipient", flat=True))
    assert queued == automatic


def test_onboarding_in_review_keeps_the_drip_for_staff_even_if_its_kind_is_automatic(
    onboarded, capture, staff_user
):
    auto(staff_user)
    set_automation_policy(automation="onboarding", mode=PolicyMode.REVIEW, user=staff_user)
    onboarded()

    scan(capture, DAY_1)

    assert Draft.objects.get(kind="onboarding_drip").status == "pending"
    assert not OutboundMessage.objects.exists()


# --- Staff pages ----------------------------------------------------------------------------


def test_staff_edit_a_plans_drip_on_one_page_in_spanish(client, staff_user, plan):
    client.force_login(staff_user)

    page = client.get(reverse("admin:engagement_plandrip_change", args=[plan.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    for label in ("Objetivo", "Asunto en inglés", "Texto (Markdown)", "Entrar al portal"):
        assert label in text, label
    assert "{nombre}, tu curso te espera: entra al portal" in text


def test_the_students_page_shows_which_drip_messages_went(onboarded, capture, client, staff_user):
    auto(staff_user)
    student = onboarded()
    scan(capture, DAY_1)
    record_activity(
        Activity(student=student, kind=ActivityKind.LESSON_COMPLETED, occurred_at=DAY_1,
                 source="portal")
    )  # fmt: skip
    scan(capture, DAY_3)
    client.force_login(staff_user)

    page = client.get(reverse("admin:students_student_page", args=[student.pk]))

    text = page.content.decode()
    assert "Bienvenida por etapas" in text
    assert "Entrar al portal" in text
    assert "Enviado" in text
    assert "Ver su primera lección" in text
    assert "ya vio una lección." in text


@pytest.mark.parametrize("may_add", [False, True], ids=["change-only", "may-add-messages"])
def test_adding_the_default_messages_takes_the_right_to_add_drip_messages(
    client, django_user_model, plan, may_add
):
    from django.contrib.auth.models import Permission

    DripMessage.objects.filter(plan=plan).delete()
    codenames = ["view_plandrip", "change_plandrip", "change_dripmessage", "view_dripmessage"]
    if may_add:
        codenames.append("add_dripmessage")
    editor = django_user_model.objects.create_user(username="ed", password="x", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(editor)

    client.post(
        reverse("admin:engagement_plandrip_changelist"),
        {"action": "add_default_messages", "_selected_action": [plan.pk]},
    )

    assert DripMessage.objects.filter(plan=plan).exists() is may_add
