"""Every page type carries a Content-Security-Policy whose nonce is the one its inline
style or script wears; cookies leave Secure in production and HttpOnly."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marketing.landing.models import LandingPage
from marketing.models import LeadForm
from surveys.models import Survey
from surveys.services import answer_url, survey_for
from webinars.models import Webinar

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"


def directives(response):
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


@pytest.fixture
def landing(db):
    form = LeadForm.objects.create(slug="landing-ia", name="Landing IA", newsletter_text="Sí.")
    return LandingPage.objects.create(
        slug="ia-para-docentes",
        title="IA para docentes",
        description="Curso.",
        headline="Prepara tus clases con IA",
        form=form,
        published=True,
    )


@pytest.fixture
def webinar(db):
    return Webinar.objects.create(
        title="IA práctica",
        starts_at=timezone.now() + timedelta(days=3),
        time_zone="UTC",
        is_public=True,
        status=Webinar.Status.SCHEDULED,
    )


def public_pages(landing, webinar):
    finished = Webinar.objects.create(
        title="IA pasada",
        starts_at=timezone.now() - timedelta(days=2),
        time_zone="UTC",
        status=Webinar.Status.FINISHED,
    )
    return {
        "portal sign-in": "/portal/entrar/",
        "landing page": f"/l/{landing.slug}/",
        "survey": answer_url(survey_for(Survey.Kind.WEBINAR, webinar=finished), "a@x.io", 4),
        "offer link (forged)": "/o/forged-token/",
        "registration correction (forged)": "/registro/corregir/forged/",
        "webinar registration": f"/webinars/{webinar.pk}/",
        "unsubscribe (forged)": "/messaging/baja/forged/",
    }


def test_every_public_page_type_has_a_strict_policy_and_its_inline_style_wears_the_nonce(
    landing, webinar
):
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    for name, path in public_pages(landing, webinar).items():
        response = visitor.get(path.replace("http://testserver", ""))
        assert response.status_code in (200, 400, 404), (name, response.status_code)
        policy = directives(response)
        nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode())
        assert nonce, f"{name}: its inline style has no nonce"
        assert policy["script-src"] == ["'self'", f"'nonce-{nonce[1]}'"], name
        assert policy["style-src"] == ["'self'", f"'nonce-{nonce[1]}'"], name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["object-src"] == ["'none'"], name
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], name


def test_the_admin_and_the_api_docs_have_their_policy_without_inline_scripts(client, staff_user):
    client.force_login(staff_user)
    for path in ("/admin/login/", "/admin/", "/admin/students/student/"):
        policy = directives(client.get(path))
        assert policy["script-src"] == ["'self'", "'unsafe-eval'"], path
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], path
        assert policy["frame-ancestors"] == ["'none'"], path

    docs = client.get("/api/docs/")
    page = docs.content.decode()
    nonce = directives(docs)["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    assert page.count(f'nonce="{nonce}"') == 4  # the style, both bundles and the init script
    assert "<script>" not in page
    assert "<style>" not in page


def test_every_cookie_is_secure_and_httponly_under_production_settings(
    settings, client, landing, staff_user
):
    settings.COOKIES_SECURE = True
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    variant_cookie = visitor.get(f"/l/{landing.slug}/").cookies[f"lp{landing.pk}"]
    assert variant_cookie["secure"]
    assert variant_cookie["httponly"]

    login = client.get("/admin/login/")
    response = client.post(
        "/admin/login/",
        {
            "username": "ana",
            "password": "pw-ana-1234",
            "csrfmiddlewaretoken": login.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302
    for cookie in (login.cookies["csrftoken"], response.cookies["sessionid"]):
        assert (cookie["secure"], cookie["httponly"]) == (True, True), cookie.key


@pytest.mark.suite_independent
def test_production_settings_turn_secure_cookies_on(tmp_path):
    from tests.processes import embedded_env, run

    env = embedded_env(tmp_path)
    env.update(
        COURSEOPS_ENV="production",
        DJANGO_SECRET_KEY="x" * 60,
        DJANGO_ALLOWED_HOSTS="ops.example.com",
    )
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.COOKIES_SECURE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY)"
    )
    assert run(env, "-c", probe).stdout.split()[-5:] == ["True"] * 5


def test_every_inline_script_and_style_in_our_templates_wears_the_request_nonce():
    """The policy refuses inline code without the nonce: a page that forgets it breaks
    silently in browsers (a webinar's zone pre-fill did), never in the test client."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    # Rendered by WeasyPrint into PDFs, never served as pages.
    pdfs = {
        "templates/content/pdf/lesson.html",
        "templates/engagement/certificate.html",
        "templates/engagement/weekly_report.html",
    }
    tag = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
    missing = []
    for template in root.glob("**/templates/**/*.html"):
        name = str(template.relative_to(root))
        if ".venv" in template.parts or "emails" in template.parts or name in pdfs:
            continue
        for kind, attributes in tag.findall(template.read_text()):
            if "src=" in attributes or "csp_nonce" in attributes:
                continue
            missing.append(f"{name}: <{kind}{attributes}>")
    assert missing == []
