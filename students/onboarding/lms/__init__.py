"""Where a student's course account lives: a small backend class per LMS, chosen by the
`LMS_BACKEND` setting and imported on first use.

A backend has a `name`, a `label` and three verbs: `create_account(student) -> dict`
(idempotent: it finds what an earlier run created), `access_url(student) -> str` (what the
welcome email links to; for the portal it is a sign-in credential, for the student only)
and `sign_in_page() -> str` (where anyone signs in; safe to hand to integrations), plus
`forget_account(student) -> str` for an erasure request. A backend that can take access
away again also has `revoke_access(student) -> dict` (run when a cancelled subscription
ends the student's access).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

BACKENDS = {
    "portal": "students.onboarding.lms.portal.PortalBackend",
    "thinkific": "students.onboarding.lms.thinkific.ThinkificBackend",
    "teachable": "students.onboarding.lms.teachable.TeachableBackend",
}


class LMSError(Exception):
    """The LMS refused or failed; `permanent` says whether trying again can help."""

    def __init__(self, message, *, permanent=False, status=None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status  # the HTTP status the LMS answered, when it answered


def get_backend(name=None):
    name = name or settings.LMS_BACKEND
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"LMS_BACKEND={name!r} is not one of {', '.join(sorted(BACKENDS))}."
        ) from None
    return import_string(path)()


def create_account(student):
    return get_backend().create_account(student)


def forget_account(student) -> str:
    """Ask the LMS to delete the student's account (erasure); what it answered, in words."""
    return get_backend().forget_account(student)


def access_url(student) -> str:
    """The link that takes this student into their courses (goes into the welcome email)."""
    return get_backend().access_url(student)


def sign_in_page() -> str:
    """The LMS's sign-in page: what the API tells integrations, never a personal link."""
    return get_backend().sign_in_page()
