"""Support staff open a student's page from the students list in Chromium."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from tests.students.test_student_page import give_history

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_support_open_the_student_page_from_the_list(
    live_server, browser_page, django_user_model, student_factory, tmp_path
):
    user = django_user_model.objects.create_user(
        username="lola", password="pw-lola-1234", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_student"))
    student = student_factory(full_name="Emma Ruiz", email="emma@example.com", phone="+34600123456")
    give_history(student, 3)
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})

    page.goto(f"{live_server.url}/admin/login/?next=/admin/students/student/")
    page.fill("#id_username", "lola")
    page.fill("#id_password", "pw-lola-1234")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Ver ficha").click()

    page.wait_for_selector("#student-page")
    assert page.get_by_text("Riesgo de abandono y sus motivos").is_visible()
    assert page.get_by_text("12 días sin actividad").is_visible()
    # Inner tables are unfold's: header cells styled, not the browser's bare table.
    header = page.locator("#student-page thead th").first
    assert header.evaluate("th => getComputedStyle(th).fontWeight") in ("600", "700")
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "student-page.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_support_edit_a_student_with_real_inputs(
    live_server, browser_page, django_user_model, student_factory
):
    user = django_user_model.objects.create_user(
        username="sofia", password="pw-sofia-1234", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_student", "change_student"])
    )
    student = student_factory(full_name="Emma Ruiz", interests=["LLMs"])
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/students/student/{student.pk}/change/")
    page.fill("#id_username", "sofia")
    page.fill("#id_password", "pw-sofia-1234")
    page.click("button[type=submit]")

    page.select_option("select[name=phone_0]", "ES")
    page.fill("input[name=phone_1]", "600 12 34 56")
    page.select_option("#id_country", "ES", force=True)
    page.select_option("#id_time_zone", "Europe/Madrid", force=True)
    # Interests are tags: type one and press Enter in select2's box.
    page.locator("#id_interests + .select2 .select2-search__field").fill("automatización")
    page.keyboard.press("Enter")
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "student-form.png", full_page=True)
    with page.expect_navigation():
        page.click("button[name=_continue]")

    student.refresh_from_db()
    assert (student.phone, student.country, student.time_zone) == (
        "+34600123456",
        "ES",
        "Europe/Madrid",
    )
    assert student.interests == ["LLMs", "automatización"]
