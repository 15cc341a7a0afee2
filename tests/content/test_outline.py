"""The course outline: each lesson's status (hecha, en curso, siguiente), the course's
progress with the same numbers on every page, and "continuar donde lo dejaste"."""

import time_machine
from django.utils import timezone

from content.models import LessonProgress
from content.portal.outline import course_outlines, where_to_continue
from engagement.models import PlanCurriculum
from engagement.services.curriculum import refresh_curricula
from tests.content import test_portal

signed_in = test_portal.signed_in


def _three(make_lesson):
    return [
        make_lesson(order=n, title=f"Lección {n}", published_at=timezone.now()) for n in (1, 2, 3)
    ]


def test_each_lesson_says_whether_it_is_done_started_or_next(
    signed_in, make_lesson, django_assert_num_queries
):
    first, second, third = _three(make_lesson)
    LessonProgress.objects.create(lesson=first, student=signed_in, completed_at=timezone.now())

    with django_assert_num_queries(2):
        [outline] = course_outlines(signed_in)
    assert [str(item.label) for item in outline.lessons] == ["Hecha", "Siguiente", "Pendiente"]
    assert (outline.done, outline.total, outline.percent) == (1, 3, 33)

    LessonProgress.objects.create(lesson=third, student=signed_in)
    [outline] = course_outlines(signed_in)
    assert [str(item.label) for item in outline.lessons] == ["Hecha", "Siguiente", "En curso"]


def test_continue_goes_to_the_lesson_in_progress_touched_last(signed_in, make_lesson, client):
    first, second, third = _three(make_lesson)
    with time_machine.travel("2026-11-02 10:00Z"):
        client.get(f"/portal/lecciones/{third.pk}/")
    with time_machine.travel("2026-11-03 10:00Z"):
        client.get(f"/portal/lecciones/{first.pk}/")
    with time_machine.travel("2026-11-04 10:00Z"):
        client.get(f"/portal/lecciones/{third.pk}/")  # back to the third, later
        client.post(f"/portal/lecciones/{third.pk}/reproduccion/", {"position": 65, "watched": 30})

    assert where_to_continue(course_outlines(signed_in)).lesson == third
    home = client.get("/portal/").content.decode()
    assert "Continúa donde lo dejaste" in home
    assert f'href="/portal/lecciones/{third.pk}/">Lección 3</a>' in home
    assert "IA aplicada, lección 3 de 3 · ibas por el 01:05" in home


def test_with_nothing_started_the_home_offers_the_next_lesson(signed_in, make_lesson, client):
    first, _second, _third = _three(make_lesson)
    home = client.get("/portal/").content.decode()
    assert "Tu siguiente lección" in home
    assert f'href="/portal/lecciones/{first.pk}/">Lección 1</a>' in home


def test_a_course_all_done_has_nothing_to_continue(signed_in, make_lesson, client):
    for lesson in _three(make_lesson):
        LessonProgress.objects.create(lesson=lesson, student=signed_in, completed_at=timezone.now())
    assert where_to_continue(course_outlines(signed_in)) is None
    assert "Tu siguiente lección" not in client.get("/portal/").content.decode()


def test_every_page_shows_the_same_progress_for_the_course(signed_in, make_lesson, client):
    first, second, _third = _three(make_lesson)
    LessonProgress.objects.create(lesson=first, student=signed_in, completed_at=timezone.now())
    line = "1 de 3 lecciones hechas (33 %)"

    assert line in client.get("/portal/").content.decode()
    outline_page = client.get("/portal/lecciones/").content.decode()
    assert line in outline_page
    assert '<span class="status">Hecha</span>' in outline_page
    lesson_page = client.get(f"/portal/lecciones/{second.pk}/").content.decode()
    assert line in lesson_page
    assert "lección 2 de 3" in lesson_page
    assert "Siguiente lección: Lección 3" in lesson_page
    assert line in client.get("/portal/progreso/").content.decode()


def test_the_plan_total_says_which_lessons_are_outside_the_portal(signed_in, make_lesson, client):
    _three(make_lesson)
    refresh_curricula()
    PlanCurriculum.objects.filter(plan=signed_in.plan).update(external_lessons=5)
    refresh_curricula()

    page = client.get("/portal/progreso/").content.decode()
    assert "0 de 8 lecciones (0 %)" in page
    assert "(contando 5 lecciones de la plataforma del curso, fuera de este portal)" in page
    assert "0 de 3 lecciones hechas (0 %)" in page  # the portal's own course
