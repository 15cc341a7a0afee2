"""An approved lesson summary becomes a draft post on WordPress (REST API, application
password, through the one HTTP client), linked back to the page that sells the course;
one post per lesson, updated and never duplicated, also when an answer is lost.

The fake is a local server speaking WordPress's REST API. Response shapes: WordPress REST
API Handbook, Posts (https://developer.wordpress.org/rest-api/reference/posts/: create
answers 201 with the post in context "edit"; list takes `slug`, `status`, `context`)."""

import base64
import json

import pytest
from django.contrib.auth.models import Permission
from pytest_httpserver import HTTPServer
from werkzeug import Response

from content.models import Course, Lesson
from content.services.publishing import publish_lesson
from marketing.blog import wordpress
from marketing.blog.models import BlogPost
from marketing.landing.models import LandingPage
from marketing.models import LeadForm
from students.models import Plan
from tests.conftest import lost_broker

pytestmark = pytest.mark.django_db
SITE = "https://ops.example.com"
APP_PASSWORD = "abcd EFGH 1234 ijkl MNOP 5678"


@pytest.fixture(scope="module")
def server():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def blog(server, settings):
    server.clear()
    settings.SITE_URL = SITE
    settings.WORDPRESS_URL = server.url_for("/")
    settings.WORDPRESS_USERNAME = "equipo"
    settings.WORDPRESS_APP_PASSWORD = APP_PASSWORD
    settings.WORDPRESS_TIMEOUT_SECONDS = 5
    return server


@pytest.fixture
def lesson(db):
    plan = Plan.objects.create(slug="pro", name="Pro")
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    form = LeadForm.objects.create(slug="pro", name="Pro", double_opt_in=False)
    LandingPage.objects.create(
        slug="curso-pro", title="Pro", description="Pro", headline="Pro", form=form,
        plan=plan, published=True,
    )  # fmt: skip
    return Lesson.objects.create(
        course=course,
        order=3,
        title="Prompts para evaluar",
        transcript=[{"start": 0, "end": 5, "text": "SECRETO DE LA TRANSCRIPCIÓN"}],
        materials={
            "summary": "Cómo escribir rúbricas con IA & sin sesgos.",
            "key_points": [
                {"seconds": 10, "point": "Pedir criterios claros"},
                {"seconds": 90, "point": "Revisar los sesgos"},
            ],
            "draft": 41,
        },
    )


def wp_post(post_id, body, status="draft"):
    """A post as WordPress answers it in context "edit" (trimmed to the fields we read and
    a few around them)."""
    return {
        "id": post_id,
        "date": "2026-12-07T03:00:00",
        "slug": body.get("slug", ""),
        "status": status,
        "type": "post",
        "link": f"https://blog.example.com/?p={post_id}",
        "title": {"raw": body.get("title", ""), "rendered": body.get("title", "")},
        "content": {"raw": body.get("content", ""), "rendered": body.get("content", "")},
        "excerpt": {"raw": body.get("excerpt", ""), "rendered": body.get("excerpt", "")},
        "author": 1,
        "categories": [1],
    }


def _json(request):
    return json.loads(request.get_data())


def _creates(server):
    return [
        req for req, _ in server.log if req.method == "POST" and req.path == "/wp-json/wp/v2/posts"
    ]


def test_an_approved_summary_becomes_one_draft_post_and_a_new_approval_updates_it(blog, lesson):
    blog.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(wp_post(77, _json(request))), status=201, content_type="application/json"
        )  # fmt: skip
    )
    blog.expect_request("/wp-json/wp/v2/posts/77", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(wp_post(77, _json(request), status="publish")),
            content_type="application/json",
        )  # fmt: skip
    )

    post = wordpress.sync_post(lesson=lesson)

    assert (post.state, post.wordpress_id, post.link) == (
        "synced",
        77,
        "https://blog.example.com/?p=77",
    )
    [create] = _creates(blog)
    expected = "Basic " + base64.b64encode(f"equipo:{APP_PASSWORD}".encode()).decode()
    assert create.headers["Authorization"] == expected
    sent = _json(create)
    assert sent["status"] == "draft"
    assert sent["title"] == "Prompts para evaluar"
    assert sent["slug"] == f"courseops-leccion-{lesson.pk}"
    assert "<p>Cómo escribir rúbricas con IA &amp; sin sesgos.</p>" in sent["content"]
    assert "<li>Revisar los sesgos</li>" in sent["content"]
    assert f'href="{SITE}/l/curso-pro/"' in sent["content"]
    assert "SECRETO" not in sent["content"]

    # The same approval again: nothing to send.
    assert wordpress.sync_post(lesson=lesson).attempts == 1
    assert len(blog.log) == 1

    lesson.materials = {**lesson.materials, "summary": "Versión corregida.", "draft": 42}
    lesson.save()
    post = wordpress.sync_post(lesson=lesson)

    assert len(_creates(blog)) == 1
    update = blog.log[-1][0]
    assert update.path == "/wp-json/wp/v2/posts/77"
    assert "status" not in _json(update)  # staff may have published it: left as it is
    assert "Versión corregida." in _json(update)["content"]
    assert (post.state, post.synced_draft, BlogPost.objects.count()) == ("synced", 42, 1)


def test_a_create_whose_answer_was_lost_is_found_by_slug_and_not_made_twice(blog, lesson):
    blog.expect_ordered_request("/wp-json/wp/v2/posts", method="POST").respond_with_data(
        "<html>504 Gateway Time-out</html>", status=504
    )
    made = wp_post(91, {"slug": f"courseops-leccion-{lesson.pk}", "title": "Prompts para evaluar"})
    blog.expect_ordered_request("/wp-json/wp/v2/posts", method="GET").respond_with_json([made])
    blog.expect_ordered_request("/wp-json/wp/v2/posts/91", method="POST").respond_with_json(made)

    first = wordpress.sync_post(lesson=lesson)
    assert first.state == "pending"
    assert "504" in first.last_error

    [retried] = wordpress.retry_due()

    assert (retried.state, retried.wordpress_id) == ("synced", 91)
    assert len(_creates(blog)) == 1
    lookup = blog.log[1][0]
    assert lookup.args["slug"] == f"courseops-leccion-{lesson.pk}"
    assert lookup.args["context"] == "edit"
    blog.check_assertions()


def test_a_post_whose_worker_died_mid_call_is_taken_again_at_once_and_looked_up_first(blog, lesson):
    import os
    import socket

    # Killed while creating the post: the row says "sending", held by a process now gone.
    dead = f"{socket.gethostname()}:{2**22 + os.getpid() % 1000}"
    BlogPost.objects.create(
        lesson=lesson, state="sending", held_by=dead, attempts=1, check_before_create=True
    )
    alive = BlogPost.objects.create(
        lesson=Lesson.objects.create(course=lesson.course, order=4, title="Otra"),
        state="sending",
        held_by=f"{socket.gethostname()}:{os.getpid()}",  # this process: still at it
    )
    made = wp_post(92, {"slug": f"courseops-leccion-{lesson.pk}", "title": "Prompts para evaluar"})
    blog.expect_ordered_request("/wp-json/wp/v2/posts", method="GET").respond_with_json([made])
    blog.expect_ordered_request("/wp-json/wp/v2/posts/92", method="POST").respond_with_json(made)

    [retried] = wordpress.retry_due()  # a minute later, not after a ten-minute lease

    assert (retried.state, retried.wordpress_id, retried.held_by) == ("synced", 92, "")
    assert _creates(blog) == []
    alive.refresh_from_db()
    assert alive.state == "sending"
    blog.check_assertions()


def test_refused_credentials_fail_the_post_and_do_not_retry(blog, lesson):
    blog.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_json(
        {
            "code": "rest_cannot_create",
            "message": "Lo siento, no tienes permisos para crear entradas como este usuario.",
            "data": {"status": 401},
        },
        status=401,
    )

    post = wordpress.sync_post(lesson=lesson)

    assert post.state == "failed"
    assert "rest_cannot_create" in post.last_error
    assert APP_PASSWORD not in post.last_error
    assert wordpress.retry_due() == []


def test_publishing_the_lesson_sends_it_to_the_blog(
    blog, lesson, django_capture_on_commit_callbacks
):
    blog.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(wp_post(5, _json(request))), status=201, content_type="application/json"
        )  # fmt: skip
    )
    with django_capture_on_commit_callbacks(execute=True):
        publish_lesson(lesson=lesson)

    assert BlogPost.objects.get(lesson=lesson).wordpress_id == 5


def test_without_a_blog_nothing_is_sent(lesson, settings):
    settings.WORDPRESS_URL = ""
    assert wordpress.sync_post(lesson=lesson) is None
    assert BlogPost.objects.count() == 0


def test_only_staff_allowed_to_change_posts_can_send_one_again(
    client, django_user_model, staff_user, lesson, settings, django_capture_on_commit_callbacks
):
    settings.WORDPRESS_APP_PASSWORD = APP_PASSWORD
    post = BlogPost.objects.create(lesson=lesson, state="synced", wordpress_id=7, synced_draft=41)
    viewer = django_user_model.objects.create_user(
        username="vera", password="pw-vera-1", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_blogpost"))
    client.force_login(viewer)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            "/admin/marketing/blogpost/", {"action": "send_again", "_selected_action": [post.pk]}
        )
    assert callbacks == []

    client.force_login(staff_user)
    page = client.get(f"/admin/marketing/blogpost/{post.pk}/change/").content.decode()
    assert APP_PASSWORD not in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/admin/marketing/blogpost/",
            {"action": "send_again", "_selected_action": [post.pk]},
            follow=True,
        )
    assert "1 entrada se enviará de nuevo." in response.content.decode()
    assert len(callbacks) == 1
    post.refresh_from_db()
    # The row is the record: if the task is lost, the retry scan sends it.
    assert (post.state, post.attempts) == ("pending", 0)


def test_a_lesson_published_while_the_broker_is_down_reaches_the_blog_once_by_the_retry_scan(
    blog, lesson, django_capture_on_commit_callbacks
):
    from marketing.tasks import retry_blog_posts

    blog.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_handler(
        lambda request: Response(
            json.dumps(wp_post(77, _json(request))), status=201, content_type="application/json"
        )  # fmt: skip
    )
    with lost_broker(), django_capture_on_commit_callbacks(execute=True):
        publish_lesson(lesson=lesson)
    assert blog.log == []
    assert BlogPost.objects.get().state == "pending"

    retry_blog_posts.apply()

    assert len(_creates(blog)) == 1
    assert (BlogPost.objects.get().state, BlogPost.objects.get().wordpress_id) == ("synced", 77)
    retry_blog_posts.apply()
    assert len(blog.log) == 1
