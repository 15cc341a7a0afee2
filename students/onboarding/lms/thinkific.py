"""Thinkific's Admin API v1: find or create the user, enroll them in the plan's courses.

Thinkific has no idempotency keys, so every write is preceded by a lookup: a run that
died half-way finds the user and enrollments it already made. Retries: `calls.LMSCalls`.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from courseops.core import http
from students.onboarding.lms import LMSError
from students.onboarding.lms.calls import LMSCalls


class ThinkificBackend(LMSCalls):
    name = "thinkific"
    label = "Thinkific"

    def __init__(self, *, transport=None):
        if not (settings.THINKIFIC_API_KEY and settings.THINKIFIC_SUBDOMAIN):
            raise ImproperlyConfigured(
                "LMS_BACKEND=thinkific needs THINKIFIC_API_KEY and THINKIFIC_SUBDOMAIN."
            )
        self.client = http.make_client(
            base_url=settings.THINKIFIC_API_BASE_URL,
            headers={
                "X-Auth-API-Key": settings.THINKIFIC_API_KEY,
                "X-Auth-Subdomain": settings.THINKIFIC_SUBDOMAIN,
                "Accept": "application/json",
            },
            timeout=settings.THINKIFIC_TIMEOUT_SECONDS,
            transport=transport,
        )

    def access_url(self, student):
        return self.sign_in_page()

    def sign_in_page(self):
        return f"https://{settings.THINKIFIC_SUBDOMAIN}.thinkific.com/users/sign_in"

    def create_account(self, student):
        courses = list(
            student.plan.materials.filter(active=True)
            .exclude(lms_course_id="")
            .values_list("lms_course_id", flat=True)
        )
        with self.client:
            user_id = student.lms_user_id or self._find_or_create_user(student)
            if student.lms_user_id != user_id:
                student.lms_user_id = user_id
                student.save(update_fields=["lms_user_id", "updated_at"])
            enrolled = [course for course in courses if self._enroll(user_id, course)]
        return {"backend": self.name, "lms_user_id": user_id, "enrolled": enrolled}

    def _find_or_create_user(self, student):
        found = self._request("GET", "/users", params={"query[email]": student.email})
        # Match the address exactly: the query may also return partial matches.
        for user in found.get("items", []):
            if str(user.get("email", "")).lower() == student.email.lower():
                return str(user["id"])
        first, _sep, last = student.full_name.strip().partition(" ")
        # No password: Thinkific then activates its express sign-in link for the user.
        created = self._request(
            "POST",
            "/users",
            json={
                "first_name": first or student.email,
                "last_name": last or "-",
                "email": student.email,
                "send_welcome_email": False,
            },
        )
        return str(created["id"])

    def forget_account(self, student):
        """Delete the user (and with it their enrollments) for an erasure request."""
        if not student.lms_user_id:
            return "sin cuenta"
        with self.client:
            try:
                self._request("DELETE", f"/users/{student.lms_user_id}")
            except LMSError as exc:
                if exc.status != 404:
                    raise
        return "borrado"

    def _enroll(self, user_id, course_id):
        """Enroll with full access once; returns True when a new enrollment was made."""
        if not str(course_id).isdigit():
            raise LMSError(
                _("El id de curso de Thinkific «%(id)s» no es un número: corrígelo en el material.")
                % {"id": course_id},
                permanent=True,
            )
        existing = self._request(
            "GET",
            "/enrollments",
            params={"query[user_id]": user_id, "query[course_id]": course_id},
        )
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        for enrollment in existing.get("items", []):
            if enrollment.get("is_free_trial") or not enrollment.get("activated_at"):
                # A trial gives only preview content: upgrade it to full access.
                self._request("PUT", f"/enrollments/{enrollment['id']}", json={"activated_at": now})
            return False
        # Without activated_at an enrollment is only a free trial.
        self._request(
            "POST",
            "/enrollments",
            json={"course_id": int(course_id), "user_id": int(user_id), "activated_at": now},
        )
        return True

    def pages(self, path, params=None):
        """Every item of a paginated list (Thinkific's `meta.pagination.next_page`)."""
        page = 1
        while page:
            body = self._request("GET", path, params={**(params or {}), "page": page, "limit": 250})
            yield from body.get("items", [])
            page = ((body.get("meta") or {}).get("pagination") or {}).get("next_page")
