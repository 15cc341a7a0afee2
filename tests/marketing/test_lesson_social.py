"""Social drafts straight from a lesson: marketing listens to content's `lesson_published`
(and staff can ask from the admin), drafts two variants per network from the lesson's
public fields for review (kind `social_post`), once per lesson; once approved and
scheduled, the link goes through our tracked redirect with UTM."""

import ast
import pathlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Course, Lesson
from content.services.publishing import publish_lesson
from courseops.ai import AIError, AIUnavailable
from courseops.reviews.models import Draft
from courseops.reviews.services import approve_draft, reject_draft
from marketing.landing.models import LandingPage
from marketing.models import LeadForm
from marketing.services.campaigns import read_tracking_token
from marketing.social.lessons import draft_from_lesson
from marketing.social.models import SocialBrief, SocialChannel
from marketing.social.schedule import schedule_approved_drafts
from students.models import Plan
from tests.conftest import lost_broker

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
SITE = "https://ops.example.com"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clock(settings):
    settings.SITE_URL = SITE
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lesson(db):
    plan = Plan.objects.create(slug="pro", name="Pro")
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    return Lesson.objects.create(
        course=course,
        order=3,
        title="Prompts para evaluar",
        transcript=[{"start": 0, "end": 5, "text": "SECRETO DE LA TRANSCRIPCIÓN"}],
        materials={
            "summary": "Cómo escribir rúbricas con IA.",
            "key_points": [
                {"seconds": 10, "point": "Pedir criterios claros"},
                {"seconds": 90, "point": "Revisar los sesgos"},
            ],
        },
    )


@pytest.fixture
def sales_page(lesson):
    form = LeadForm.objects.create(slug="pro", name="Pro", double_opt_in=False)
    return LandingPage.objects.create(
        slug="curso-pro", title="Pro", description="Pro", headline="Pro", form=form,
        plan=lesson.course.plans.get(), published=True,
    )  # fmt: skip


def lesson_drafts(lesson):
    brief = SocialBrief.objects.filter(lesson=lesson).first()
    if brief is None:
        return Draft.objects.none()
    return Draft.objects.filter(
        kind="social_post",
        content_type=ContentType.objects.get_for_model(SocialBrief),
        object_id=str(brief.pk),
    )


def publish(lesson, capture):
    with capture(execute=True):
        publish_lesson(lesson=lesson)


def test_publishing_a_lesson_drafts_two_variants_per_network_from_its_public_fields(
    lesson, sales_page, django_capture_on_commit_callbacks
):
    publish(lesson, django_capture_on_commit_callbacks)

    [draft] = lesson_drafts(lesson)
    assert (draft.kind, draft.status, draft.subject) == ("social_post", "pending",
                                                         "Prompts para evaluar")  # fmt: skip
    assert sorted(draft.data["variants"]) == ["facebook", "instagram", "linkedin", "x"]
    assert all(len(texts) == 2 for texts in draft.data["variants"].values())
    for section in ("[linkedin 1]", "[linkedin 2]", "[x 1]", "[x 2]", "[facebook 2]"):
        assert section in draft.body
    linkedin = draft.data["variants"]["linkedin"][0]
    assert "Cómo escribir rúbricas con IA." in linkedin
    assert "- Pedir criterios claros" in linkedin
    assert f"{SITE}/l/curso-pro/" in linkedin  # the page that sells the lesson's course
    assert "SECRETO" not in draft.body  # the transcript is not a public field
    assert SocialBrief.objects.get().language == "es"


def test_without_a_sales_page_the_link_is_the_lesson_in_the_portal(
    lesson, django_capture_on_commit_callbacks
):
    publish(lesson, django_capture_on_commit_callbacks)

    assert SocialBrief.objects.get().link == f"{SITE}/portal/lecciones/{lesson.pk}/"


def test_one_set_of_drafts_per_lesson_however_often_it_is_asked(
    lesson, staff_user, django_capture_on_commit_callbacks
):
    publish(lesson, django_capture_on_commit_callbacks)
    publish(lesson, django_capture_on_commit_callbacks)  # already published: no signal
    [first] = lesson_drafts(lesson)

    assert draft_from_lesson(lesson=lesson) == first
    assert lesson_drafts(lesson).count() == 1

    reject_draft(draft=first, user=staff_user, reason="Otro enfoque")
    second = draft_from_lesson(lesson=lesson)  # after a rejection staff may ask again
    assert second != first
    assert lesson_drafts(lesson).count() == 2
    assert SocialBrief.objects.count() == 1


def test_an_unpublished_lesson_gets_no_drafts(lesson):
    assert draft_from_lesson(lesson=lesson) is None
    assert not SocialBrief.objects.exists()


def test_a_passing_ai_failure_leaves_no_brief_so_the_retry_drafts(lesson, monkeypatch, clock):
    from marketing.social import lessons

    Lesson.objects.filter(pk=lesson.pk).update(published_at=MONDAY_10)
    lesson.refresh_from_db()

    def down(**kwargs):
        raise AIUnavailable("proveedor caído")

    monkeypatch.setattr(lessons, "draft_from_brief", down)
    with pytest.raises(AIError):
        draft_from_lesson(lesson=lesson)
    assert not SocialBrief.objects.exists()
    monkeypatch.undo()

    assert draft_from_lesson(lesson=lesson).kind == "social_post"


def test_a_permanent_ai_failure_keeps_the_brief_so_the_sweeper_does_not_ask_again(
    lesson, monkeypatch, clock
):
    from marketing.social import lessons

    Lesson.objects.filter(pk=lesson.pk).update(published_at=MONDAY_10)
    lesson.refresh_from_db()

    def refused(**kwargs):
        raise AIError("respuesta inválida")

    monkeypatch.setattr(lessons, "draft_from_brief", refused)
    with pytest.raises(AIError):
        draft_from_lesson(lesson=lesson)
    assert SocialBrief.objects.filter(lesson=lesson).exists()
    clock.shift(timedelta(minutes=11))
    assert lessons.draft_missed_lessons() == 0


def test_a_lesson_published_while_the_broker_is_down_gets_its_drafts_from_the_sweeper(
    lesson, clock, django_capture_on_commit_callbacks
):
    from marketing.social.lessons import draft_missed_lessons

    with lost_broker():
        publish(lesson, django_capture_on_commit_callbacks)
    assert not SocialBrief.objects.exists()
    assert draft_missed_lessons() == 0  # within the grace the task is not presumed lost

    clock.shift(timedelta(minutes=11))
    assert draft_missed_lessons() == 1

    assert lesson_drafts(lesson).count() == 1
    assert draft_missed_lessons() == 0


def test_a_lesson_published_days_ago_is_not_drafted_by_the_sweeper(lesson, clock):
    from marketing.social.lessons import draft_missed_lessons

    Lesson.objects.filter(pk=lesson.pk).update(published_at=MONDAY_10 - timedelta(days=3))

    assert draft_missed_lessons() == 0
    assert not SocialBrief.objects.exists()


def test_another_worker_drafting_right_now_is_not_doubled(lesson, clock):
    Lesson.objects.filter(pk=lesson.pk).update(published_at=MONDAY_10)
    lesson.refresh_from_db()
    SocialBrief.objects.create(lesson=lesson, topic=lesson.title)  # its drafting under way

    assert draft_from_lesson(lesson=lesson) is None
    clock.shift(timedelta(minutes=11))  # that worker died before drafting
    assert draft_from_lesson(lesson=lesson) is not None


def test_approved_lesson_posts_are_scheduled_with_the_link_tracked_with_utm(
    lesson, sales_page, staff_user, django_capture_on_commit_callbacks
):
    linkedin = SocialChannel.objects.create(
        name="Escuela", network="linkedin", slots={"0": ["12:00"]}
    )
    publish(lesson, django_capture_on_commit_callbacks)
    [draft] = lesson_drafts(lesson)
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user)

    [post] = schedule_approved_drafts()

    assert post.channel == linkedin
    assert f"{SITE}/l/curso-pro/" not in post.text
    token = post.text.split("/suscripcion/c/")[1].split("/")[0]
    target = read_tracking_token(token)
    assert target["p"] == post.pk
    url = urlsplit(target["u"])
    assert url.path == "/l/curso-pro/"
    assert dict(parse_qsl(url.query)) == {
        "utm_source": "linkedin",
        "utm_medium": "social",
        "utm_campaign": "social",
        "utm_content": f"post-{post.pk}",
    }


def test_the_admin_action_drafts_for_the_chosen_lessons_and_the_list_is_constant_queries(
    lesson, client, staff_user
):
    client.force_login(staff_user)
    Lesson.objects.filter(pk=lesson.pk).update(published_at=MONDAY_10)
    url = "/admin/marketing/lessonforsocial/"

    response = client.post(
        url, {"action": "draft_social_posts", "_selected_action": [lesson.pk]}, follow=True
    )

    assert "1 lección con sus borradores de redes en revisión." in response.content.decode()
    assert lesson_drafts(lesson).count() == 1
    counts = []
    for extra in (0, 8):
        for n in range(extra):
            Lesson.objects.create(course=lesson.course, title=f"L{n}", published_at=MONDAY_10)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == 200
        counts.append(len(queries))
    assert "Creados" in page.content.decode()
    assert counts[0] == counts[1]


def test_marketing_imports_only_contents_signal_and_lesson_and_content_never_marketing():
    def imports(folder):
        found = set()
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module:
                    found |= {(node.module, alias.name) for alias in node.names}
                elif isinstance(node, ast.Import):
                    found |= {(alias.name, "") for alias in node.names}
        return found

    from_content = {i for i in imports("marketing") if i[0].split(".")[0] == "content"}
    assert from_content == {("content.signals", "lesson_published"), ("content.models", "Lesson")}
    assert not {i for i in imports("content") if i[0].split(".")[0] == "marketing"}


def test_the_brief_list_with_its_lessons_loads_in_the_same_number_of_queries_at_two_sizes(
    lesson, client, staff_user
):
    client.force_login(staff_user)
    counts = []
    for size in (1, 9):
        for n in range(SocialBrief.objects.count(), size):
            other = Lesson.objects.create(course=lesson.course, title=f"L{n}")
            SocialBrief.objects.create(lesson=other, topic=f"L{n}")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/admin/marketing/socialbrief/")
        assert page.status_code == 200
        counts.append(len(queries))
    assert "IA aplicada · 1. L0" in page.content.decode()
    assert counts[0] == counts[1]
