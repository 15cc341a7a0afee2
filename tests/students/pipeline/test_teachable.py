"""The Teachable backend against a faked Teachable Admin API (respx at httpx's transport).

Shapes from Teachable's Admin API v1 (developers.teachable.com/v1, `apiKey` header), as
its OpenAPI description gives them (a copy: api-evangelist/teachable,
openapi/teachable-users-api-openapi.yml and openapi/teachable-enrollments-api-openapi.yml):
GET /users?email= -> {users: [{id, name, email}], meta: {page, number_of_pages, ...}};
POST /users {email, name, src} -> the user; GET /users/{id} -> the user with `courses`
[{course_id, course_name, enrolled_at, is_active_enrollment, completed_at,
percent_complete}]; POST /enroll and POST /unenroll {user_id, course_id} -> 204.
"""

import json

import httpx
import pytest
import respx

from courseops.audit.services import history
from students.models import Material, OnboardingStep, Student
from students.onboarding.lms import get_backend
from students.onboarding.pipeline import run_step, start_onboarding
from students.services import sync_lms_access

pytestmark = pytest.mark.django_db
API = "https://developers.teachable.test/v1"


@pytest.fixture(autouse=True)
def teachable(settings):
    settings.LMS_BACKEND = "teachable"
    settings.TEACHABLE_API_KEY = "tch-secret"
    settings.TEACHABLE_SCHOOL_URL = "https://escuela-ia.teachable.com"
    settings.TEACHABLE_API_BASE_URL = API


@pytest.fixture
def api():
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


def teachable_user(user_id, email, *courses):
    return {
        "id": user_id,
        "name": "Lucía Fernández",
        "email": email,
        "src": "CourseOps",
        "role": "student",
        "last_sign_in_ip": None,
        "courses": [
            {
                "course_id": course_id,
                "course_name": f"Curso {course_id}",
                "enrolled_at": "2026-10-01T10:00:00Z",
                "is_active_enrollment": active,
                "completed_at": None,
                "percent_complete": 40,
            }
            for course_id, active in courses
        ],
        "tags": [],
    }


def account_step(student):
    start_onboarding(student=student)
    step = OnboardingStep.objects.get(student=student, name="account")
    run_step(step=step)
    step.refresh_from_db()
    return step


def test_a_new_student_becomes_a_teachable_user_enrolled_in_the_plans_course(student, api):
    lookup = api.get("/users").respond(
        200,
        json={"users": [], "meta": {"total": 0, "page": 1, "per_page": 20, "number_of_pages": 0}},
    )
    create = api.post("/users").respond(
        201, json={"id": 5501, "name": "Lucía Fernández", "email": "lucia@example.com"}
    )
    api.get("/users/5501").respond(200, json=teachable_user(5501, "lucia@example.com"))
    enroll = api.post("/enroll").respond(204)

    step = account_step(student)

    assert step.status == "done"
    assert step.detail == {"backend": "teachable", "lms_user_id": "5501", "enrolled": ["101"]}
    request = lookup.calls.last.request
    assert request.url.params["email"] == "lucia@example.com"
    assert request.headers["apiKey"] == "tch-secret"
    assert json.loads(create.calls.last.request.content) == {
        "email": "lucia@example.com",
        "name": "Lucía Fernández",
        "src": "CourseOps",
    }
    assert json.loads(enroll.calls.last.request.content) == {"user_id": 5501, "course_id": 101}
    assert Student.objects.get().lms_user_id == "5501"


def test_running_it_again_finds_the_user_and_enrolls_nobody_twice(student, api):
    api.get("/users").respond(
        200, json={"users": [{"id": 77, "name": "Lucía", "email": "Lucia@Example.com"}]}
    )
    create = api.post("/users")
    api.get("/users/77").respond(200, json=teachable_user(77, "lucia@example.com", (101, True)))
    enroll = api.post("/enroll")

    step = account_step(student)

    assert step.status == "done"
    assert step.detail["enrolled"] == []
    assert not create.called
    assert not enroll.called


def test_a_5xx_is_retried_and_a_422_stops_with_teachables_words(student, api):
    api.get("/users").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(200, json={"users": [{"id": 3, "email": "lucia@example.com"}]}),
        ]
    )
    api.get("/users/3").respond(200, json=teachable_user(3, "lucia@example.com"))
    enroll = api.post("/enroll").respond(422, json={"message": "Course is not published"})

    step = account_step(student)

    assert step.status == "failed"
    assert step.detail == {"permanent": True}
    assert "Teachable respondió 422" in step.error
    assert "Course is not published" in step.error
    assert enroll.call_count == 1


def test_losing_access_unenrolls_from_courseops_courses_only(student, api):
    student.lms_user_id = "77"
    student.status = Student.Status.INACTIVE
    student.save()
    api.get("/users/77").respond(
        200,
        json=teachable_user(77, "lucia@example.com", (101, True), (999, True), (202, False)),
    )
    unenroll = api.post("/unenroll").respond(204)

    result = sync_lms_access(student=student)

    # 999 is a course no material names (bought on Teachable directly): left alone.
    assert result["unenrolled"] == ["101"]
    assert [json.loads(c.request.content) for c in unenroll.calls] == [
        {"user_id": 77, "course_id": 101}
    ]
    assert "students.student.lms_access_revoked" in [e.action for e in history(student)]


def test_access_back_enrolls_again_once_the_account_exists(student, api):
    student.lms_user_id = "77"
    student.status = Student.Status.ACTIVE
    student.save()
    OnboardingStep.objects.create(
        student=student, name=OnboardingStep.Name.ACCOUNT, status=OnboardingStep.Status.DONE
    )
    api.get("/users/77").respond(200, json=teachable_user(77, "lucia@example.com", (101, False)))
    enroll = api.post("/enroll").respond(204)

    result = sync_lms_access(student=student)

    assert result["enrolled"] == ["101"]
    assert json.loads(enroll.calls.last.request.content) == {"user_id": 77, "course_id": 101}


def test_erasure_unenrolls_everything_and_says_the_user_must_be_deleted_by_hand(student, api):
    student.lms_user_id = "77"
    student.save()
    api.get("/users/77").respond(
        200, json=teachable_user(77, "lucia@example.com", (101, True), (999, True))
    )
    unenroll = api.post("/unenroll").respond(204)

    answer = get_backend().forget_account(student)

    assert unenroll.call_count == 2
    assert "2 curso(s)" in answer
    assert "a mano" in answer


def test_the_sign_in_page_is_the_schools(student):
    assert get_backend().access_url(student) == "https://escuela-ia.teachable.com/sign_in"


def test_a_course_id_that_is_not_a_number_fails_before_any_write(student, api):
    Material.objects.filter(lms_course_id="101").update(lms_course_id="curso-ia")
    writes = api.post("/users")

    step = account_step(student)

    assert step.status == "failed"
    assert "curso-ia" in step.error
    assert not writes.called
