"""The rule scan: who gets what, once per occurrence and cooldown, never to past-due or
cancelled students, never in quiet hours, safe to run twice or after a crash."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import LessonProgress
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from courseops.reviews.rollout import set_kind_policy
from courseops.reviews.services import DraftWithdrawn, approve_draft
from engagement.models import ActivityKind, Nudge, NudgeRule, PlanCurriculum
from engagement.services.activity import Activity, record_activity
from engagement.services.nudges import scan_rules, send_nudge
from students.models import Student
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db
# One active rule: the rules and their plans, resources, its students with their next
# lessons, the claim (with its savepoint), the claimed and stale ids; whatever the number
# of students.
QUERIES_FOR_ONE_RULE_SCAN = 7


def active_at(student, at, kind=ActivityKind.SIGN_IN, **metadata):
    record_activity(
        Activity(student=student, kind=kind, occurred_at=at, source="api", metadata=metadata)
    )


def run_scan(capture, at=NOW):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return scan_rules()


def only_rules(*names):
    NudgeRule.objects.exclude(name__in=names).update(active=False)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_the_default_rules_are_installed():
    assert set(NudgeRule.objects.values_list("kind", "threshold", "cooldown_days")) == {
        ("inactive", 7, 7),
        ("milestone", 25, 0),
        ("milestone", 50, 0),
        ("milestone", 75, 0),
        ("streak", 7, 7),
        ("course_completed", 0, 0),
        ("assignment_due", 2, 0),
        ("assignment_overdue", 0, 0),
    }


@pytest.mark.django_db(transaction=True)
def test_the_default_rules_come_back_into_an_emptied_database_but_not_over_staff_edits():
    call_command("flush", interactive=False, verbosity=0)
    assert NudgeRule.objects.count() == 8

    NudgeRule.objects.exclude(kind="inactive").delete()
    call_command("migrate", verbosity=0)
    assert list(NudgeRule.objects.values_list("kind", flat=True)) == ["inactive"]


def test_an_inactive_student_gets_one_reviewed_empathetic_nudge_sent_once_on_approval(
    student, make_student, staff_user, capture
):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=8))
    active_at(make_student(), NOW - timedelta(days=2))  # active: nothing

    assert run_scan(capture) == 1
    assert run_scan(capture, NOW + timedelta(hours=1)) == 0

    draft = Draft.objects.get()
    assert (draft.kind, draft.status, draft.recipient) == (
        "nudge_inactive",
        "pending",
        student.email,
    )
    assert "1 semana" in draft.body  # coarse facts...
    assert "Lucía" not in draft.body  # ...and no name: the template greets
    assert not OutboundMessage.objects.exists()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False), capture(execute=True):
        approve_draft(draft=draft, user=staff_user)  # 14:00 in Mexico City
    message = OutboundMessage.objects.get()
    assert (message.category, message.recipient) == ("engagement", student.email)
    assert message.idempotency_key == f"engagement.nudge.{Nudge.objects.get().pk}"
    assert "Hola, Lucía:" in message.text_body
    assert message.send_at is None
    assert Nudge.objects.get().status == "sent"


def test_the_same_inactive_spell_is_never_nudged_again_but_a_new_one_after_the_cooldown_is(
    student, capture
):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=8))
    run_scan(capture)
    run_scan(capture, NOW + timedelta(days=20))  # past the cooldown, same spell
    assert Nudge.objects.count() == 1

    active_at(student, NOW + timedelta(days=21))  # back, then gone again
    run_scan(capture, NOW + timedelta(days=25))  # inactive only 4 days
    run_scan(capture, NOW + timedelta(days=29))
    assert list(Nudge.objects.order_by("created_at").values_list("occurrence", flat=True)) == [
        f"since:{(NOW - timedelta(days=8)):%Y-%m-%d}",
        f"since:{(NOW + timedelta(days=21)):%Y-%m-%d}",
    ]


def test_past_due_cancelled_and_completed_students_get_no_inactivity_nudge(
    make_student, plan, capture
):
    only_rules("Inactivo 7 días")
    PlanCurriculum.objects.create(plan=plan, lessons_total=1)
    past_due = make_student(status=Student.Status.PAST_DUE)
    cancelled = make_student(status=Student.Status.INACTIVE)
    finished = make_student()
    for student in (past_due, cancelled):
        active_at(student, NOW - timedelta(days=30))
    active_at(finished, NOW - timedelta(days=30), ActivityKind.LESSON_COMPLETED, object_id="l1")

    assert run_scan(capture) == 0


def test_a_student_who_falls_past_due_after_drafting_is_not_sent_the_nudge(
    student, staff_user, capture
):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=10))
    run_scan(capture)
    Student.objects.filter(pk=student.pk).update(status=Student.Status.PAST_DUE)

    with (
        time_machine.travel(NOW, tick=False),
        capture(execute=True),
        pytest.raises(DraftWithdrawn, match="ya no está activo"),
    ):
        approve_draft(draft=Draft.objects.get(), user=staff_user)

    assert not OutboundMessage.objects.exists()
    assert Nudge.objects.get().status == "skipped"
    assert Draft.objects.get().status == "withdrawn"


def test_under_policy_auto_the_nudge_goes_out_but_waits_for_the_end_of_quiet_hours(
    student, staff_user, capture
):
    only_rules("Inactivo 7 días")
    set_kind_policy(kind="nudge_inactive", mode="auto", user=staff_user)
    active_at(student, NOW - timedelta(days=10))
    late_evening = NOW.replace(hour=5)  # 23:00 the day before in Mexico City

    run_scan(capture, late_evening)

    message = OutboundMessage.objects.get()
    assert message.send_at.isoformat() == "2026-11-20T14:00:00+00:00"  # 08:00 local
    assert Draft.objects.get().decided_automatically


def test_milestones_congratulate_the_highest_reached_and_completion_once(student, plan, capture):
    only_rules("Hito 25 %", "Hito 50 %", "Hito 75 %", "Curso completado")
    PlanCurriculum.objects.create(plan=plan, lessons_total=4)
    for n in range(2):
        active_at(student, NOW, ActivityKind.LESSON_COMPLETED, object_id=f"l{n}")

    run_scan(capture)
    assert list(Nudge.objects.values_list("occurrence", flat=True)) == ["pct:50"]
    assert Draft.objects.get().kind == "congratulations"
    assert "50 %" in Draft.objects.get().subject

    for n in range(2, 4):
        active_at(student, NOW, ActivityKind.LESSON_COMPLETED, object_id=f"l{n}")
    run_scan(capture, NOW + timedelta(days=1))
    run_scan(capture, NOW + timedelta(days=2))
    assert sorted(Nudge.objects.values_list("occurrence", flat=True)) == ["completed", "pct:50"]


def test_a_streak_is_congratulated_once_per_streak(student, capture):
    only_rules("Racha de 7 días")
    for day in range(8):
        active_at(student, NOW - timedelta(days=7 - day))

    run_scan(capture)
    run_scan(capture, NOW + timedelta(days=8))

    assert Nudge.objects.get().occurrence == f"from:{(NOW - timedelta(days=7)):%Y-%m-%d}"


def test_a_nudge_claimed_by_a_scan_that_crashed_is_drafted_by_the_next_one_once(
    student, django_capture_on_commit_callbacks
):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=10))
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=False):
        scan_rules()  # the drafting task is lost: the worker died
    assert Nudge.objects.get().status == "claimed"

    run_scan(django_capture_on_commit_callbacks, NOW + timedelta(minutes=20))
    run_scan(django_capture_on_commit_callbacks, NOW + timedelta(minutes=40))

    assert Nudge.objects.get().status == "drafted"
    assert Draft.objects.count() == 1


@pytest.mark.parametrize("students", [3, 30])
def test_the_scan_runs_in_a_constant_number_of_queries(
    students, make_student, django_assert_max_num_queries
):
    with time_machine.travel(NOW - timedelta(days=10)):
        for _ in range(students):
            active_at(make_student(), NOW - timedelta(days=9))
            make_student()  # never active: also due
    with (
        time_machine.travel(NOW + timedelta(days=1), tick=False),
        django_assert_max_num_queries(14),  # 8 rules: one query each, plus claiming
    ):
        claimed = scan_rules()
    assert claimed == 2 * students


def test_the_dry_run_lists_who_would_get_what_and_changes_nothing(student, capsys):
    only_rules("Inactivo 7 días")
    active_at(student, NOW - timedelta(days=10))

    with time_machine.travel(NOW, tick=False):
        call_command("engagement_scan", "--dry-run")

    output = capsys.readouterr().out
    assert "Inactivo 7 días\tlucia@example.com\tsince:2026-11-10" in output
    assert "1 nudges, 1 distinct AI prompts" in output
    assert not Nudge.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_claim_and_draft_each_nudge_once(make_student):
    # The rule comes from a data migration, which an earlier transactional test (in any
    # folder, such as the browser tests in tests/core) has flushed away.
    NudgeRule.objects.get_or_create(
        name="Inactivo 7 días", defaults={"kind": "inactive", "threshold": 7, "cooldown_days": 7}
    )
    only_rules("Inactivo 7 días")
    for _ in range(15):
        active_at(make_student(), NOW - timedelta(days=9))
    start = threading.Barrier(2)
    claimed = {}

    def scan(name):
        try:
            with time_machine.travel(NOW, tick=False):
                start.wait(5)
                claimed[name] = scan_rules()
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert claimed["a"] + claimed["b"] == 15
    assert Nudge.objects.count() == 15
    assert Draft.objects.count() == 15


def test_completing_the_course_sends_a_certificate_anyone_can_verify(
    student, plan, staff_user, capture, client, settings, tmp_path
):
    import io

    from pypdf import PdfReader

    settings.MEDIA_ROOT = tmp_path
    only_rules("Curso completado")
    set_kind_policy(kind="congratulations", mode="auto", user=staff_user)
    PlanCurriculum.objects.create(plan=plan, lessons_total=1)
    active_at(student, NOW, ActivityKind.LESSON_COMPLETED, object_id="l1")

    run_scan(capture, NOW.replace(hour=17))  # 11:00 in Mexico City

    message = OutboundMessage.objects.get()
    attachment = message.attachments[0]
    assert attachment["filename"].startswith("certificado-")
    url = message.text_body.split("comprobarlo aquí: ")[1].split()[0]
    page = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "Lucía Pérez completó el curso del plan Pro" in page.content.decode()
    assert client.get("/certificados/falso/").status_code == 404
    from engagement.models import Certificate

    pdf = PdfReader(io.BytesIO(Certificate.objects.get().pdf.read()))
    assert "Lucía Pérez" in pdf.pages[0].extract_text()


def test_assignments_due_soon_and_overdue_are_reminded_once_each_unless_handed_in(
    make_student, plan, capture
):
    from engagement.models import Assignment
    from engagement.services.assignments import submit_assignment

    only_rules("Tarea vence en 2 días", "Tarea vencida")
    with time_machine.travel(NOW - timedelta(days=6)):
        due_soon, handed_in = make_student(), make_student()
    with time_machine.travel(NOW - timedelta(days=10)):
        late = make_student()
    assignment = Assignment.objects.create(
        title="Prompt de resumen", plan=plan, instructions="x", rubric="x",
        due_days_after_enrolment=7,
    )  # fmt: skip
    with capture(execute=True):
        submit_assignment(assignment=assignment, student=handed_in, text="hecho")

    run_scan(capture)
    run_scan(capture, NOW + timedelta(hours=3))

    claimed = {(n.student_id, n.rule.kind) for n in Nudge.objects.select_related("rule")}
    assert claimed == {(due_soon.pk, "assignment_due"), (late.pk, "assignment_overdue")}
    drafts = {d.subject for d in Draft.objects.filter(kind="nudge_pending")}
    assert drafts == {
        "Tu tarea «Prompt de resumen» vence pronto",
        "Aún puedes entregar «Prompt de resumen»",
    }


def test_a_scan_claims_at_most_its_limit_and_the_next_one_continues(
    make_student, capture, monkeypatch
):
    from engagement.services import nudges

    only_rules("Inactivo 7 días")
    monkeypatch.setattr(nudges, "SCAN_LIMIT", 3)
    for _ in range(5):
        active_at(make_student(), NOW - timedelta(days=9))

    assert run_scan(capture) == 3
    assert run_scan(capture, NOW + timedelta(hours=1)) == 2
    assert run_scan(capture, NOW + timedelta(hours=2)) == 0
    assert Nudge.objects.count() == 5


def _complete(student, lesson):
    LessonProgress.objects.create(
        lesson=lesson, student=student, first_viewed_at=NOW, completed_at=NOW
    )


def test_an_inactive_students_nudge_names_and_links_their_next_unfinished_lesson(
    student, make_lesson, staff_user, capture
):
    only_rules("Inactivo 7 días")
    first, second, _third = (make_lesson(f"Lección {n}") for n in (1, 2, 3))
    make_lesson("Borrador", published_at=None)
    _complete(student, first)
    active_at(student, NOW - timedelta(days=8))

    run_scan(capture)

    nudge = Nudge.objects.get()
    assert (nudge.facts["next_lesson"], nudge.facts["next_lesson_id"]) == ("Lección 2", second.pk)
    draft = Draft.objects.get()
    assert "«Lección 2»" in draft.body  # the prompt got it
    with time_machine.travel(NOW + timedelta(hours=2), tick=False), capture(execute=True):
        approve_draft(draft=draft, user=staff_user)
    message = OutboundMessage.objects.get()
    link = f"/portal/lecciones/{second.pk}/"
    assert link in message.html_body
    assert f"Tu siguiente lección: Lección 2: http://127.0.0.1:8000{link}" in message.text_body


@pytest.mark.parametrize("size", [2, 12])
def test_next_lessons_are_found_for_the_whole_scan_without_a_query_per_student(
    size, make_student, make_lesson, capture
):
    only_rules("Inactivo 7 días")
    lessons = [make_lesson(f"Lección {n}") for n in range(1, 4)]
    students = []
    with time_machine.travel(NOW - timedelta(days=10)):
        for n in range(size):
            student = make_student()
            for lesson in lessons[: n % 4]:
                _complete(student, lesson)
            active_at(student, NOW - timedelta(days=9))
            students.append(student)

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        scan_rules()
    facts = dict(Nudge.objects.values_list("student_id", "facts"))
    for n, student in enumerate(students):
        expected = lessons[n % 4].title if n % 4 < 3 else ""  # all done: none
        assert facts[student.pk]["next_lesson"] == expected
    assert len(queries) == QUERIES_FOR_ONE_RULE_SCAN


def test_a_rule_with_sms_texts_only_consenting_students_with_a_phone_once_per_nudge(
    student, make_student, make_lesson, staff_user, capture
):
    only_rules("Inactivo 7 días")
    NudgeRule.objects.filter(kind="inactive").update(sms=True)
    set_kind_policy(kind="nudge_inactive", mode="auto", user=staff_user)
    lesson = make_lesson("Lección 1")
    Student.objects.filter(pk=student.pk).update(phone="+525512345678", sms_consent_at=NOW)
    no_consent = make_student(phone="+5215587654321")
    no_phone = make_student(sms_consent_at=NOW)
    for person in (student, no_consent, no_phone):
        active_at(person, NOW - timedelta(days=8))

    run_scan(capture)  # policy auto: sent on approval
    with capture(execute=True):  # sent again (a retried task): nothing new
        for nudge in Nudge.objects.select_related("rule", "student"):
            send_nudge(nudge=nudge, subject="x", body_html="<p>x</p>", body_text="x", related=None)

    assert OutboundMessage.objects.filter(channel="email").count() == 3
    sms = OutboundMessage.objects.get(channel="sms")
    assert (sms.category, sms.recipient) == ("engagement", "+525512345678")
    nudge = Nudge.objects.get(student=student)
    assert sms.idempotency_key == f"engagement.nudge.{nudge.pk}.sms"
    assert sms.text_body.startswith("Hola Lucía: ")
    assert f"/portal/lecciones/{lesson.pk}/" in sms.text_body
    assert "BAJA" in sms.text_body
    assert len(sms.text_body) <= 200


def test_an_inactive_nudge_states_the_same_percent_as_the_portal_rounded_half_up(
    student, plan, capture
):
    from engagement.services.progress import progress_for

    only_rules("Inactivo 7 días")
    PlanCurriculum.objects.create(plan=plan, lessons_total=8)
    active_at(student, NOW - timedelta(days=8), ActivityKind.LESSON_COMPLETED, object_id="l0")

    run_scan(capture)

    portal_percent = progress_for(student).percent
    assert portal_percent == 13  # 1 of 8 = 12.5 %, half up (half-even said 12)
    assert f"{portal_percent} %" in Draft.objects.get().body
