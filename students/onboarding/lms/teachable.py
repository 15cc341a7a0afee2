"""Teachable's Admin API v1 (developers.teachable.com/v1, `apiKey` header): find or create
the user, enroll them in the plan's courses, unenroll them when their access ends.

Like Thinkific, Teachable takes no idempotency keys: each write is preceded by a read (the
user by email, the user's courses with `is_active_enrollment`), so a run that died half-way
finds what it already made. Retries: `calls.LMSCalls`. The API cannot delete a user: an
erasure unenrolls them from every course and says that the user must be deleted by hand.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from courseops.core import http
from courseops.core.dates import datetime_or_none
from students.models import Material
from students.onboarding.lms import LMSError
from students.onboarding.lms.calls import LMSCalls

PER_PAGE = 100


class TeachableBackend(LMSCalls):
    name = "teachable"
    label = "Teachable"

    def __init__(self, *, transport=None):
        if not (settings.TEACHABLE_API_KEY and settings.TEACHABLE_SCHOOL_URL):
            raise ImproperlyConfigured(
                "LMS_BACKEND=teachable needs TEACHABLE_API_KEY and TEACHABLE_SCHOOL_URL."
            )
        self.client = http.make_client(
            base_url=settings.TEACHABLE_API_BASE_URL,
            headers={"apiKey": settings.TEACHABLE_API_KEY, "Accept": "application/json"},
            timeout=settings.TEACHABLE_TIMEOUT_SECONDS,
            transport=transport,
        )

    def access_url(self, student):
        return self.sign_in_page()

    def sign_in_page(self):
        return f"{settings.TEACHABLE_SCHOOL_URL}/sign_in"

    def create_account(self, student):
        courses = _plan_courses(student)
        with self.client:
            user_id = student.lms_user_id or self._find_or_create_user(student)
            if student.lms_user_id != user_id:
                student.lms_user_id = user_id
                student.save(update_fields=["lms_user_id", "updated_at"])
            active = self.active_courses(user_id)
            enrolled = []
            for course in courses:
                if course not in active:
                    self._request("POST", "/enroll", json=_pair(user_id, course))
                    enrolled.append(course)
        return {"backend": self.name, "lms_user_id": user_id, "enrolled": enrolled}

    def revoke_access(self, student):
        """Unenroll from every course CourseOps hands out (any material's LMS course id);
        a course the person bought on Teachable by other means is left alone."""
        if not student.lms_user_id:
            return {"backend": self.name, "unenrolled": []}
        managed = set(
            Material.objects.exclude(lms_course_id="").values_list("lms_course_id", flat=True)
        )
        with self.client:
            unenrolled = self._unenroll(
                student.lms_user_id, self.active_courses(student.lms_user_id) & managed
            )
        return {"backend": self.name, "lms_user_id": student.lms_user_id, "unenrolled": unenrolled}

    def forget_account(self, student):
        if not student.lms_user_id:
            return "sin cuenta"
        with self.client:
            try:
                courses = self.active_courses(student.lms_user_id)
            except LMSError as exc:
                if exc.status != 404:
                    raise
                return "borrado"
            unenrolled = self._unenroll(student.lms_user_id, courses)
        return (
            f"dado de baja de {len(unenrolled)} curso(s); la API de Teachable no borra "
            f"usuarios: borra el usuario {student.lms_user_id} a mano en Teachable"
        )

    def user(self, user_id):
        body = self._request("GET", f"/users/{user_id}")
        return body.get("user", body) if isinstance(body, dict) else {}

    def active_courses(self, user_id):
        return {
            str(course["course_id"])
            for course in self.user(user_id).get("courses") or []
            if course.get("is_active_enrollment")
        }

    def pages(self, path, key, params=None):
        """Every item of a paged list: `{<key>: [...], meta: {page, number_of_pages}}`."""
        page, pages = 1, 1
        while page <= pages:
            body = self._request(
                "GET", path, params={**(params or {}), "page": page, "per": PER_PAGE}
            )
            yield from body.get(key) or []
            pages = int((body.get("meta") or {}).get("number_of_pages") or 1)
            page += 1

    def completed_lectures(self, user_id, course_id):
        """The lectures the user completed in a course, with when: {id, name, completed_at}."""
        page, pages = 1, 1
        while page <= pages:
            body = self._request(
                "GET",
                f"/courses/{course_id}/progress",
                params={"user_id": user_id, "page": page, "per": PER_PAGE},
            )
            progress = body.get("course_progress") or {}
            for section in progress.get("lecture_sections") or []:
                for lecture in section.get("lectures") or []:
                    when = datetime_or_none(str(lecture.get("completed_at") or ""))
                    if lecture.get("is_completed") and when is not None:
                        yield {
                            "id": lecture["id"],
                            "name": str(lecture.get("name") or "")[:200],
                            "completed_at": when,
                        }
            pages = int((body.get("meta") or {}).get("number_of_pages") or 1)
            page += 1

    def _find_or_create_user(self, student):
        found = self._request("GET", "/users", params={"email": student.email})
        for user in found.get("users") or []:
            if str(user.get("email", "")).lower() == student.email.lower():
                return str(user["id"])
        # No password: the student sets one from Teachable's "forgot password" link, and
        # `src` shows staff in Teachable where the account came from.
        created = self._request(
            "POST",
            "/users",
            json={
                "email": student.email,
                "name": student.full_name or student.email,
                "src": "CourseOps",
            },
        )
        return str(created.get("user", created)["id"])

    def _unenroll(self, user_id, courses):
        done = []
        for course in sorted(courses):
            try:
                self._request("POST", "/unenroll", json=_pair(user_id, course))
            except LMSError as exc:
                if exc.status != 404:  # already gone
                    raise
            done.append(course)
        return done


def _plan_courses(student):
    courses = list(
        student.plan.materials.filter(active=True)
        .exclude(lms_course_id="")
        .values_list("lms_course_id", flat=True)
    )
    for course in courses:
        if not str(course).isdigit():
            raise LMSError(
                _("El id de curso de Teachable «%(id)s» no es un número: corrígelo en el material.")
                % {"id": course},
                permanent=True,
            )
    return courses


def _pair(user_id, course_id):
    return {"user_id": int(user_id), "course_id": int(course_id)}
