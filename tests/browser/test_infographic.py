"""The lesson infographic in Chromium, as a student reaches the lesson from their sign-in
link, with production's security settings: the inline SVG is drawn (nothing blocked by
the page's policy), at full width, with every point."""

import pytest
from django.utils import timezone

from content.models import Course, Lesson
from students.models import Plan, Student
from students.portal.services import sign_in_link
from tests.browser.conftest import assert_production_headers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
POINTS = [
    {"seconds": 6, "point": "Un embedding es un vector de números"},
    {"seconds": 12, "point": "Vectores cercanos, significados parecidos"},
]


def test_a_student_sees_the_approved_infographic_under_the_key_points(page, tmp_path):
    plan = Plan.objects.create(slug="premium", name="Premium", price=99)
    course = Course.objects.create(title="IA aplicada", slug="ia-aplicada")
    course.plans.add(plan)
    lesson = Lesson.objects.create(
        course=course,
        title="Embeddings",
        materials={"summary": "Qué es un embedding.", "key_points": POINTS},
        infographic={"title": "Embeddings en 2 ideas", "points": POINTS, "draft": 1},
        published_at=timezone.now(),
    )
    student = Student.objects.create(
        full_name="Lucía Fernández",
        email="lucia@example.com",
        plan=plan,
        source=Student.Source.API,
        status=Student.Status.ACTIVE,
    )
    blocked = []  # what the page's policy refused (a CSP violation is a console error)
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.goto(sign_in_link(student=student))
    page.get_by_role("button", name="Entrar al portal").click()
    page.wait_for_url("**/portal/")

    shown = page.goto(f"/portal/lecciones/{lesson.pk}/")
    assert_production_headers(shown)
    figure = page.locator("figure.infographic svg")
    figure.wait_for()
    box = figure.bounding_box()
    assert box["width"] > 300
    assert box["height"] > box["width"] * 0.5  # drawn to its proportions, not collapsed
    assert figure.get_by_text("Embeddings en 2 ideas").count() == 1
    assert figure.get_by_text("Vectores cercanos, significados parecidos").count() == 1
    assert blocked == []
    figure.screenshot(path=tmp_path / "infographic.png")
