"""Surveys: signed links confirmed by a POST, once per person, sent after the webinar follow-up,
NPS at day 30, lesson survey on completion, results per survey."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from content.models import Course, Lesson
from content.signals import lesson_completed
from courseops.messaging.models import OutboundMessage, Status
from students.models import Plan, Student
from surveys.models import Answer, Survey
from surveys.sending import (
    send_lesson_surveys,
    send_nps_course_end,
    send_nps_day_30,
    send_webinar_surveys,
)
from surveys.services import answer_token, answer_url, nps, results, survey_for
from tests.conftest import lost_broker
from webinars.models import Registration, Webinar

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def webinar(db):
    return Webinar.objects.create(
        title="IA práctica",
        starts_at=NOW - timedelta(days=2),
        time_zone="Europe/Madrid",
        status=Webinar.Status.FINISHED,
    )


def _attendee(webinar, email, *, followup=Status.SENT, attended=True):
    registration = Registration.objects.create(
        webinar=webinar, email=email, name="Ana Ruiz", source="api", attended=attended
    )
    if followup:
        OutboundMessage.objects.create(
            channel="email",
            category="transactional",
            recipient=email,
            subject="Gracias",
            idempotency_key=f"webinars.followup.{registration.pk}",
            status=followup,
        )
    return registration


def test_opening_the_link_records_nothing_and_shows_the_score_ready_to_confirm(client, webinar):
    """Mail scanners fetch every link: a GET (even several) must not answer for the person."""
    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    url = answer_url(survey, "Ana@Example.com", 4)
    first = client.get(url)
    client.get(url)
    client.head(url)

    assert first.status_code == 200
    page = first.content.decode()
    assert 'value="4" required checked' in page
    assert 'value="3" required>' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert first["Referrer-Policy"] == "same-origin"
    assert "no-cache" in first["Cache-Control"]
    assert not Answer.objects.exists()


def test_the_page_speaks_the_language_the_invitation_was_sent_in(client, webinar):
    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    english = client.get(answer_url(survey, "tom@example.com", 4, "en")).content.decode()
    spanish = client.get(answer_url(survey, "ana@example.com", 4)).content.decode()

    assert "What did you think of IA práctica?" in english
    assert "¿Qué te pareció IA práctica?" in spanish


def test_the_post_records_once_and_a_second_post_only_updates_the_comment(client, webinar):
    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    path = reverse("surveys:answer", args=[answer_token(survey, "Ana@Example.com")])
    first = client.post(path, {"puntuacion": "2", "comentario": "  Muy útil  "})
    again = client.post(path, {"puntuacion": "5", "comentario": "Mejor de lo que dije"})
    blank = client.post(path, {"puntuacion": "1", "comentario": ""})

    assert first.status_code == again.status_code == blank.status_code == 200
    answer = Answer.objects.get()
    assert (answer.respondent, answer.score, answer.comment) == (
        "ana@example.com",
        2,
        "Mejor de lo que dije",
    )
    assert "2" in again.content.decode()
    # Once answered, the page offers the comment only.
    page = client.get(f"{path}?puntuacion=5").content.decode()
    assert 'name="puntuacion"' not in page
    assert "Mejor de lo que dije" in page


def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(webinar):
    from django.test import Client

    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    path = reverse("surveys:answer", args=[answer_token(survey, "ana@example.com")])
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path, {"puntuacion": "5"}).status_code == 403
    assert not Answer.objects.exists()

    page = browser.get(f"{path}?puntuacion=5").content.decode()
    csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(path, {"puntuacion": "5", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200
    assert Answer.objects.get().score == 5


def test_forged_or_out_of_range_answers_are_a_clear_400(client, webinar):
    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    assert client.get("/encuestas/forged/?puntuacion=3").status_code == 400
    assert client.post("/encuestas/forged/", {"puntuacion": "3"}).status_code == 400
    path = reverse("surveys:answer", args=[answer_token(survey, "a@example.com")])
    response = client.get(f"{path}?puntuacion=9")
    assert response.status_code == 400
    assert "del 1 al 5" in response.content.decode()
    assert client.post(path, {"puntuacion": "9"}).status_code == 400
    assert client.post(path, {"puntuacion": "x"}).status_code == 400
    assert client.post(path, {}).status_code == 400
    # No score in the address: the page asks for one.
    assert client.get(path).status_code == 200
    nps_path = reverse(
        "surveys:answer", args=[answer_token(survey_for(Survey.Kind.NPS_DAY_30), "a@x.io")]
    )
    assert client.get(f"{nps_path}?puntuacion=0").status_code == 200
    assert client.post(nps_path, {"puntuacion": "0"}).status_code == 200
    assert not Answer.objects.filter(survey=survey).exists()
    assert Answer.objects.get().score == 0


def test_webinar_survey_goes_after_the_followup_once(webinar):
    done = _attendee(webinar, "done@example.com")
    _attendee(webinar, "waiting@example.com", followup=Status.QUEUED)
    _attendee(webinar, "absent@example.com", attended=False)

    with time_machine.travel(NOW, tick=False):
        assert send_webinar_surveys() == 1
        assert send_webinar_surveys() == 0
    invite = OutboundMessage.objects.get(idempotency_key=f"surveys.webinar.{done.pk}")
    assert invite.recipient == "done@example.com"
    assert "puntuacion=5" in invite.text_body
    assert "IA práctica" in invite.subject


def test_the_webinar_scan_is_one_query_whatever_is_already_sent(webinar):
    for n in range(3):
        _attendee(webinar, f"a{n}@example.com")
    with time_machine.travel(NOW, tick=False):
        send_webinar_surveys()
        with CaptureQueriesContext(connection) as small:
            send_webinar_surveys()
        for n in range(3, 20):
            _attendee(webinar, f"a{n}@example.com")
        send_webinar_surveys()
        with CaptureQueriesContext(connection) as large:
            send_webinar_surveys()
    assert len(small) == len(large) == 1


def test_nps_at_day_30_once():
    plan = Plan.objects.create(slug="pro", name="Pro")
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        due = Student.objects.create(
            full_name="Eva",
            email="eva@example.com",
            plan=plan,
            source="api",
            status=Student.Status.ACTIVE,
        )
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        Student.objects.create(
            full_name="Joven",
            email="new@example.com",
            plan=plan,
            source="api",
            status=Student.Status.ACTIVE,
        )
    with time_machine.travel(NOW, tick=False):
        assert send_nps_day_30() == 1
        assert send_nps_day_30() == 0
    message = OutboundMessage.objects.get(idempotency_key=f"surveys.nps_day_30.{due.pk}")
    assert "puntuacion=10" in message.text_body
    assert "puntuacion=0" in message.text_body


def _course_of_two_lessons(plan):
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    lessons = [
        Lesson.objects.create(
            course=course, title=f"Lección {n}", published_at=NOW - timedelta(days=60)
        )
        for n in (1, 2)
    ]
    course.plans.add(plan)  # engagement recounts the plan's curriculum: 2 lessons
    return lessons


def _finish(student, lessons, at):
    for lesson in lessons:
        lesson_completed.send(sender=Lesson, lesson=lesson, student=student, at=at)


def test_nps_at_the_course_end_once_per_student_and_plan():
    plan = Plan.objects.create(slug="pro", name="Pro")
    lessons = _course_of_two_lessons(plan)

    def student(name):
        return Student.objects.create(
            full_name=name,
            email=f"{name}@example.com",
            plan=plan,
            source="api",
            status=Student.Status.ACTIVE,
        )

    done = student("ana")
    _finish(done, lessons, NOW - timedelta(days=1))
    _finish(student("bea"), lessons[:1], NOW - timedelta(days=1))  # halfway
    _finish(student("old"), lessons, NOW - timedelta(days=20))  # finished long ago

    with time_machine.travel(NOW, tick=False):
        assert send_nps_course_end() == 1
        assert send_nps_course_end() == 0
        # The lesson completed again (a portal revisit, an LMS resend) asks nothing more.
        _finish(done, lessons, NOW)
        assert send_nps_course_end() == 0
    message = OutboundMessage.objects.get(
        idempotency_key=f"surveys.nps_course_end.{done.pk}.{plan.pk}"
    )
    assert message.recipient == "ana@example.com"
    assert "puntuacion=10" in message.text_body
    assert Survey.objects.get(kind=Survey.Kind.NPS_COURSE_END)
    # Beside the day-30 survey, not instead of it.
    assert not OutboundMessage.objects.filter(idempotency_key__startswith="surveys.nps_day_30.")


def test_the_course_end_scan_is_one_query_whatever_is_already_sent():
    plan = Plan.objects.create(slug="pro", name="Pro")
    lessons = _course_of_two_lessons(plan)

    def finished(count, start):
        for n in range(start, start + count):
            student = Student.objects.create(
                full_name=f"S{n}",
                email=f"s{n}@example.com",
                plan=plan,
                source="api",
                status=Student.Status.ACTIVE,
            )
            _finish(student, lessons, NOW - timedelta(hours=2))

    finished(2, 0)
    with time_machine.travel(NOW, tick=False):
        assert send_nps_course_end() == 2
        with CaptureQueriesContext(connection) as small:
            send_nps_course_end()
        finished(15, 2)
        assert send_nps_course_end() == 15
        with CaptureQueriesContext(connection) as large:
            send_nps_course_end()
    assert len(small) == len(large) == 1


def test_a_completed_lesson_brings_its_survey(django_capture_on_commit_callbacks):
    plan = Plan.objects.create(slug="pro", name="Pro")
    student = Student.objects.create(
        full_name="Eva", email="eva@example.com", plan=plan, source="api"
    )
    lesson = Lesson.objects.create(
        course=Course.objects.create(title="IA", slug="ia"), title="Prompts"
    )
    with django_capture_on_commit_callbacks(execute=True):
        lesson_completed.send(sender=Lesson, lesson=lesson, student=student, at=NOW)
        lesson_completed.send(sender=Lesson, lesson=lesson, student=student, at=NOW)
    message = OutboundMessage.objects.get(recipient="eva@example.com")
    assert "Prompts" in message.subject


def test_a_lesson_completed_while_the_broker_is_down_gets_one_survey_from_the_scan(
    django_capture_on_commit_callbacks,
):
    from content.portal.services import complete_lesson

    plan = Plan.objects.create(slug="pro", name="Pro")
    student = Student.objects.create(
        full_name="Eva", email="eva@example.com", plan=plan, source="api"
    )
    lesson = Lesson.objects.create(
        course=Course.objects.create(title="IA", slug="ia"), title="Prompts"
    )
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        complete_lesson(student=student, lesson=lesson, at=NOW)
    surveys = OutboundMessage.objects.filter(recipient="eva@example.com")
    assert not surveys.exists()

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert send_lesson_surveys() == 0  # within the grace the task is not presumed lost
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert send_lesson_surveys() == 1
        assert send_lesson_surveys() == 0
    assert "Prompts" in surveys.get().subject
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        assert send_lesson_surveys() == 0


def test_results_match_hand_computed_figures(webinar):
    rating = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    for n, score in enumerate([5, 4, 3]):
        Answer.objects.create(survey=rating, respondent=f"r{n}", score=score)
    net = survey_for(Survey.Kind.NPS_DAY_30)
    for n, score in enumerate([10, 9, 8, 6, 0]):  # 2 promoters, 2 detractors of 5
        Answer.objects.create(survey=net, respondent=f"n{n}", score=score)

    rows = {survey.kind: survey for survey in results(Survey.objects.all())}

    assert rows["webinar"].average == pytest.approx(4.0)
    assert rows["webinar"].answer_count == 3
    row = rows["nps_day_30"]
    assert nps(row.promoters, row.detractors, row.answer_count) == 0
    assert nps(3, 1, 4) == 50


def test_admin_results_page_in_constant_queries(
    admin_client, webinar, django_assert_max_num_queries
):
    for n in range(3):
        survey_for(
            Survey.Kind.LESSON,
            lesson=Lesson.objects.create(
                course=Course.objects.get_or_create(title="IA", slug="ia")[0], title=f"L{n}"
            ),
        )
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/surveys/survey/")
    assert response.status_code == 200


def test_comments_summary_is_a_review_draft_that_lands_on_the_survey(
    webinar, staff_user, django_capture_on_commit_callbacks
):
    from courseops.reviews.models import Draft
    from courseops.reviews.services import approve_draft
    from surveys.summary import draft_summary

    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    Answer.objects.create(survey=survey, respondent="a", score=5, comment="Ejemplos claros")
    Answer.objects.create(survey=survey, respondent="b", score=3, comment="Audio flojo")

    draft = draft_summary(survey)

    assert draft.kind == "survey_summary"
    assert "Audio flojo" in draft.body
    assert "media 4.0" in draft.body
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=Draft.objects.get(pk=draft.pk), user=staff_user)
    survey.refresh_from_db()
    assert "Ejemplos claros" in survey.summary
    assert survey.summary_at is not None


def test_no_comments_no_summary(webinar):
    from django.core.exceptions import ValidationError

    from surveys.summary import draft_summary

    survey = survey_for(Survey.Kind.WEBINAR, webinar=webinar)
    Answer.objects.create(survey=survey, respondent="a", score=5)
    with pytest.raises(ValidationError):
        draft_summary(survey)


def test_demo_data_loads_twice_without_duplicates(django_capture_on_commit_callbacks):
    from courseops.core.demo import load_demo_data

    with django_capture_on_commit_callbacks(execute=True):
        load_demo_data()
        load_demo_data()
    assert Answer.objects.filter(survey__kind="webinar").count() == 3
    assert Answer.objects.filter(survey__kind="nps_day_30").count() == 3
