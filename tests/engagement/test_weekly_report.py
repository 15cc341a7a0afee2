import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from content.models import QuizAttempt
from courseops.messaging.models import OutboundMessage
from courseops.reviews.models import Draft
from engagement.models import ActivityKind, PlanCurriculum, Question, RiskScore, WeeklyReport
from engagement.services.activity import Activity, record_activity
from engagement.services.weekly_report import weekly_report_run

pytestmark = pytest.mark.django_db
MEXICO = ZoneInfo("America/Mexico_City")
WEEK_START = datetime(2026, 11, 16, tzinfo=MEXICO)  # Monday of 2026-W47


def act(student, at, kind=ActivityKind.SIGN_IN, **metadata):
    record_activity(
        Activity(student=student, kind=kind, occurred_at=at, source="api", metadata=metadata)
    )


@pytest.fixture
def week_of_activity(make_student, plan):
    PlanCurriculum.objects.create(plan=plan, lessons_total=1)
    with time_machine.travel(WEEK_START - timedelta(days=20)):
        returning, lapsed, finisher = (make_student(full_name=n) for n in ("Ana", "Bea", "Carla"))
    with time_machine.travel(WEEK_START + timedelta(days=1)):
        make_student(full_name="Nueva Alumna")
    with time_machine.travel(WEEK_START - timedelta(days=60)):
        gone = make_student(full_name="Dora")
    act(gone, WEEK_START - timedelta(days=25))  # 32 days without activity at the week's end
    for student in (returning, lapsed):
        act(student, WEEK_START - timedelta(days=3))
    act(returning, WEEK_START + timedelta(days=2, hours=10))
    act(
        finisher,
        WEEK_START + timedelta(days=4, hours=9),
        ActivityKind.LESSON_COMPLETED,
        object_id="1",
    )
    for minutes, automatic in ((3, True), (None, False)):
        with time_machine.travel(WEEK_START + timedelta(days=3), tick=False):
            question = Question.objects.create(email="q@example.com", text="?", channel="api")
        if automatic:
            draft = Draft.objects.create(kind="faq_answer", decided_automatically=True)
            Question.objects.filter(pk=question.pk).update(
                status="answered", draft=draft,
                answered_at=question.created_at + timedelta(minutes=minutes),
            )  # fmt: skip
        else:
            Question.objects.filter(pk=question.pk).update(status="handed_over")
    RiskScore.objects.create(
        student=lapsed, score=72, level="high", computed_at=WEEK_START,
        factors=[
            {"factor": "inactive", "value": 10, "points": 21, "reason": "10 días sin actividad"}
        ],
    )  # fmt: skip


def test_the_weekly_pdf_shows_the_weeks_figures_and_is_emailed_once_to_each_staff_member(
    week_of_activity, staff_user, django_user_model, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    django_user_model.objects.create_user("luis", "luis@example.com", "x", is_staff=True)
    django_user_model.objects.create_user("eva", "eva@example.com", "x")  # not staff

    monday = WEEK_START + timedelta(days=7, hours=7)
    with time_machine.travel(monday, tick=False):
        weekly_report_run()
        weekly_report_run()  # the beat fired twice

    report = WeeklyReport.objects.get()
    assert report.week == "2026-W47"
    figures = report.figures
    assert (figures["active"], figures["new"], figures["completed"]) == (2, 1, 1)
    assert figures["retention_rate"] == 50.0  # Ana came back, Bea did not
    assert [day["n"] for day in figures["daily_active"]] == [0, 0, 1, 0, 1, 0, 0]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf.read())).pages)
    assert "Informe semanal 2026-W47" in text
    # Risk as the week ended: Dora (32 days away then), not Bea's score stored today.
    assert "En riesgo alto (1)" in text
    assert "Dora" in text
    assert "32 días sin actividad" in text
    assert "10 días sin actividad" not in text
    assert "2 estudiantes activos de 5 inscritos" in text  # the summary, from the figures
    assert "Llegaron 2 preguntas: el 50,0 % se respondió sin el equipo" in report.summary
    assert figures["median_answer_minutes"] == 3.0
    assert sorted(OutboundMessage.objects.values_list("recipient", flat=True)) == [
        "ana@example.com",
        "luis@example.com",
    ]
    message = OutboundMessage.objects.get(recipient="luis@example.com")
    assert message.attachments[0]["filename"] == "informe-2026-W47.pdf"
    assert report.emailed_at is not None


def test_any_week_can_be_built_from_the_command_and_a_bad_week_is_refused(
    week_of_activity, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(WEEK_START + timedelta(days=30), tick=False):
        call_command("weekly_report", "--week", "2026-W47", "--no-email")
    with pytest.raises(CommandError, match="ISO week"):
        call_command("weekly_report", "--week", "2026-47")

    assert WeeklyReport.objects.get().figures["lessons_completed"] == 1
    assert not OutboundMessage.objects.exists()


def test_the_report_counts_the_weeks_published_lessons_and_quiz_pass_rate(
    make_lesson, student, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    before = make_lesson("De la semana anterior", published_at=WEEK_START - timedelta(days=1))
    make_lesson("Nueva 1", published_at=WEEK_START + timedelta(days=1))
    make_lesson("Nueva 2", published_at=WEEK_START + timedelta(days=2))
    make_lesson("Borrador", published_at=None)
    in_week = WEEK_START + timedelta(days=3)
    for score, at in (
        (3, in_week),
        (3, in_week),
        (2, in_week),
        (0, WEEK_START - timedelta(days=2)),
    ):
        QuizAttempt.objects.create(
            lesson=before, student=student, answers={}, score=score, max_score=3, created_at=at
        )  # 2 of 3 is below content's pass mark

    with time_machine.travel(WEEK_START + timedelta(days=7, hours=7), tick=False):
        weekly_report_run()

    report = WeeklyReport.objects.get()
    figures = report.figures
    assert (figures["lessons_published"], figures["quiz_attempts"]) == (2, 3)
    assert figures["quiz_pass_rate"] == 66.7
    assert "Se publicaron 2 lecciones nuevas y se aprobó el 66,7 %" in report.summary
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.pdf.read())).pages)
    assert "Lecciones\npublicadas\n2\n" in text


def test_the_offline_summary_says_1_estudiante_activo_and_1_leccion():
    from courseops.ai.prompts import load_prompt

    figures = dict.fromkeys(
        [
            "active",
            "enrolled",
            "new",
            "completed",
            "lessons_completed",
            "lessons_published",
            "quiz_attempts",
            "nudges_sent",
            "nudges_came_back",
            "questions",
            "questions_handed_over",
            "at_risk_high",
        ],
        1,
    )
    context = {**figures, "week": "2026-W47", "quiz_pass_rate": 100, "retention_rate": 100}
    context |= {"completion_rate": 100, "questions_auto_rate": 0}

    spanish = load_prompt("weekly_report").render_offline(context, "es")["summary"]
    english = load_prompt("weekly_report").render_offline(context, "en")["summary"]

    assert "1 estudiante activo de 1 inscrito y 1 nuevo" in spanish
    assert "se completó 1 lección. Se publicó 1 lección nueva" in spanish
    assert "Hay 1 estudiante en riesgo alto" in spanish
    assert "estudiantes" not in spanish.replace("1 estudiante ", "")
    assert "1 active student out of" in english
    assert "1 lesson was completed" in english


def test_no_heading_of_the_pdf_is_left_at_a_page_foot_without_its_rows():
    from engagement.services.weekly_report import weekly_report_pdf

    start = WEEK_START
    days = [{"day": (start + timedelta(days=n)).date().isoformat(), "n": n % 3} for n in range(7)]
    figures = (
        dict.fromkeys(["active", "new", "completed", "lessons_completed", "lessons_published"], 3)
        | dict.fromkeys(["quiz_attempts", "nudges_sent", "nudges_came_back", "questions"], 3)
        | {"questions_handed_over": 3, "at_risk_high": 3, "quiz_pass_rate": 66.7}
    )
    figures |= {"retention_rate": 50.0, "completion_rate": 25.0, "questions_auto_rate": 50.0}
    figures |= {"median_answer_minutes": 3.0, "daily_active": days, "interventions": {}}
    figures["at_risk"] = [
        {"name": f"Estudiante {n}", "score": 90 - n, "reasons": "32 días sin actividad"}
        for n in range(3)
    ]

    # The summary's length moves everything below it; before the CSS break rules, 48 and
    # 64 words left "En riesgo alto" and its column names alone at the foot of page 1.
    for words in range(0, 130, 16):
        pdf = weekly_report_pdf(
            week="2026-W47", start=start, end=start + timedelta(days=7), figures=figures,
            summary=" ".join(["palabra"] * words),
        )  # fmt: skip
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
        for text in pages:
            if "En riesgo alto" in text:
                assert "Estudiante 2" in text, words  # the heading and all its rows
            if "Estudiantes activos por día" in text:
                assert "11-22" in text, words  # the bars and their days
