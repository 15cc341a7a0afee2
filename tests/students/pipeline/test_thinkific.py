"""The Thinkific backend against a faked Thinkific API (respx at httpx's transport)."""

import json

import httpx
import pytest
import respx

from students.models import OnboardingStep, Student
from students.onboarding.pipeline import run_step, start_onboarding

pytestmark = pytest.mark.django_db
API = "https://api.thinkific.test/api/public/v1"


@pytest.fixture(autouse=True)
def thinkific(settings):
    settings.LMS_BACKEND = "thinkific"
    settings.THINKIFIC_API_KEY = "tk-secret"
    settings.THINKIFIC_SUBDOMAIN = "escuela-ia"
    settings.THINKIFIC_API_BASE_URL = API


@pytest.fixture
def api():
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


def account_step(student):
    start_onboarding(student=student)
    step = OnboardingStep.objects.get(student=student, name="account")
    run_step(step=step)
    step.refresh_from_db()
    return step


def no_enrollment(api):
    return api.get("/enrollments").respond(200, json={"items": [], "meta": {}})


def test_an_existing_thinkific_user_is_enrolled_with_full_access_and_stored(student, api):
    users = api.get("/users").respond(200, json={"items": [{"id": 77, "email": student.email}]})
    create_user = api.post("/users")
    lookup = no_enrollment(api)
    enroll = api.post("/enrollments").respond(201, json={"id": 5})

    step = account_step(student)

    assert step.status == "done"
    assert step.detail == {"backend": "thinkific", "lms_user_id": "77", "enrolled": ["101"]}
    request = users.calls.last.request
    assert request.url.params["query[email]"] == "lucia@example.com"
    assert request.headers["X-Auth-API-Key"] == "tk-secret"
    assert request.headers["X-Auth-Subdomain"] == "escuela-ia"
    assert not create_user.called
    assert lookup.calls.last.request.url.params["query[user_id]"] == "77"
    assert lookup.calls.last.request.url.params["query[course_id]"] == "101"
    body = json.loads(enroll.calls.last.request.content)
    assert body["course_id"] == 101
    assert body["user_id"] == 77
    assert body["activated_at"].endswith("Z")  # without it Thinkific makes a free trial
    assert Student.objects.get().lms_user_id == "77"


def test_a_missing_user_is_created_without_password_for_express_sign_in(student, api):
    # Only a partial match comes back: a different person.
    api.get("/users").respond(200, json={"items": [{"id": 4, "email": "xlucia@example.com"}]})
    create_user = api.post("/users").respond(201, json={"id": 91})
    no_enrollment(api)
    api.post("/enrollments").respond(201, json={"id": 6})

    step = account_step(student)

    assert step.status == "done"
    assert json.loads(create_user.calls.last.request.content) == {
        "first_name": "Lucía",
        "last_name": "Fernández",
        "email": "lucia@example.com",
        "send_welcome_email": False,
    }
    assert Student.objects.get().lms_user_id == "91"


def test_running_it_again_enrolls_nobody_twice_and_upgrades_a_free_trial(student, api):
    student.lms_user_id = "91"
    student.save()
    users = api.get("/users")
    api.get("/enrollments").respond(
        200, json={"items": [{"id": 8, "activated_at": None, "is_free_trial": True}]}
    )
    upgrade = api.put("/enrollments/8").respond(200, json={"id": 8})
    enroll = api.post("/enrollments")

    step = account_step(student)

    assert step.status == "done"
    assert step.detail["enrolled"] == []
    assert not users.called
    assert not enroll.called
    assert "activated_at" in json.loads(upgrade.calls.last.request.content)


def test_a_5xx_is_retried_and_then_succeeds(student, api):
    api.get("/users").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json={"items": [{"id": 3, "email": "Lucia@example.com"}]}),
        ]
    )
    no_enrollment(api)
    api.post("/enrollments").respond(201, json={"id": 1})

    step = account_step(student)

    assert step.status == "done"
    assert step.detail["lms_user_id"] == "3"


def test_a_422_fails_the_step_permanently_with_thinkifics_message(student, api):
    api.get("/users").respond(200, json={"items": [{"id": 3, "email": "Lucia@example.com"}]})
    no_enrollment(api)
    enroll = api.post("/enrollments").respond(422, json={"errors": ["Course could not be found."]})

    step = account_step(student)

    assert step.status == "failed"
    assert step.detail == {"permanent": True}
    assert "422" in step.error
    assert "Course could not be found." in step.error
    assert enroll.call_count == 1  # a 4xx is never retried


def test_a_material_with_a_non_numeric_course_id_fails_permanently_before_any_write(student, api):
    student.plan.materials.filter(lms_course_id="101").update(lms_course_id="curso-ia")
    api.get("/users").respond(200, json={"items": [{"id": 3, "email": "lucia@example.com"}]})
    writes = api.post("/enrollments")

    step = account_step(student)

    assert step.status == "failed"
    assert step.detail == {"permanent": True}
    assert "curso-ia" in step.error
    assert not writes.called
