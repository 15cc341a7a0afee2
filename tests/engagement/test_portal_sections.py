"""Engagement's pages sit in the portal's navigation: progress, assignments and questions
appear as sections with their summaries on the home page, and each page shows the menu
with itself marked as the current one."""

import re
from datetime import timedelta

import pytest
import time_machine

from engagement.models import Assignment
from tests.engagement.conftest import NOW

pytestmark = pytest.mark.django_db


def _nav_links(html):
    nav = re.search(r'<nav class="sections"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)', nav)


@time_machine.travel(NOW, tick=False)
def test_the_home_page_shows_engagement_sections_with_an_overdue_assignment_badge(
    client, portal_sign_in, student, plan
):
    student.activated_at = NOW - timedelta(days=10)
    student.save()
    Assignment.objects.create(
        title="Tu primer prompt", plan=plan, instructions="x", rubric="x",
        due_days_after_enrolment=7,
    )  # fmt: skip
    portal_sign_in(student)

    html = client.get("/portal/").content.decode()

    links = {label.strip(): url for url, _current, label in _nav_links(html)}
    assert links["Mi progreso"] == "/portal/progreso/"
    assert links["Preguntas"] == "/portal/preguntas/"
    assignments = next(label for label in links if label.startswith("Tareas"))
    assert links[assignments] == "/portal/tareas/"
    assert "1 tarea vencida" in html
    assert "Tu progreso aparecerá con tus primeras lecciones" in html


@pytest.mark.parametrize(
    ("path", "label"),
    [("/portal/progreso/", "Mi progreso"), ("/portal/tareas/", "Tareas"),
     ("/portal/preguntas/", "Preguntas")],
)  # fmt: skip
def test_each_engagement_page_marks_itself_current_and_offers_sign_out(
    client, portal_sign_in, student, path, label
):
    portal_sign_in(student)

    html = client.get(path).content.decode()

    current = [name.strip() for _url, is_current, name in _nav_links(html) if is_current]
    assert current == [label]
    assert 'action="/portal/salir/"' in html
