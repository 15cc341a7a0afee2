"""Passwordless sign-in for students: an emailed, signed, expiring link.

The token signs the student's id and a digest of their email, so it dies when the email
changes, and is refused once used (remembered in the cache for its lifetime:
"single-use-ish", since a cache flush forgets it; its expiry still bounds it).
The portal session is a key in Django's session, separate from staff authentication.
"""

import hashlib

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from courseops.messaging.services import queue_email
from students.models import Student
from students.signals import student_signed_in

SALT = "students.portal.sign-in"
SESSION_KEY = "portal_student_id"
SESSION_EMAIL_KEY = "portal_student_email"
NEXT_KEY = "portal_next"  # the portal page asked for before signing in
# Statuses that may use the portal; an inactive student's links stop working.
ALLOWED_STATUSES = (Student.Status.ONBOARDING, Student.Status.ACTIVE, Student.Status.PAST_DUE)
ASK_INTERVAL_SECONDS = 60


class InvalidLink(Exception):
    """The link is tampered, expired, already used, or its student has no access."""


def _email_tag(email):
    # A digest, not the address: the token is signed, not encrypted, and travels in URLs.
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def make_token(*, student):
    return signing.dumps({"s": student.pk, "e": _email_tag(student.email)}, salt=SALT)


def sign_in_link(*, student) -> str:
    """An absolute link that signs this student into the portal (valid for
    `PORTAL_LINK_MAX_AGE_SECONDS`)."""
    path = reverse("portal:access", kwargs={"token": make_token(student=student)})
    return f"{settings.SITE_URL}{path}"


def student_for_token(*, token):
    """The student a link is for, without using it up (the GET confirmation page)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.PORTAL_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise InvalidLink(_("El enlace ha caducado. Pide uno nuevo.")) from exc
    except signing.BadSignature as exc:
        raise InvalidLink(_("El enlace no es válido. Pide uno nuevo.")) from exc
    student = Student.objects.select_related("plan").filter(pk=data.get("s")).first()
    if (
        student is None
        or _email_tag(student.email) != data.get("e")
        or student.status not in ALLOWED_STATUSES
    ):
        raise InvalidLink(_("El enlace no es válido. Pide uno nuevo."))
    if cache.get(_used_key(token)):
        raise InvalidLink(_("Este enlace ya se usó. Pide uno nuevo."))
    return student


def sign_in_with_token(*, request, token):
    """Use the link: start a portal session for its student and return the student."""
    student = student_for_token(token=token)
    if not cache.add(_used_key(token), 1, timeout=settings.PORTAL_LINK_MAX_AGE_SECONDS):
        raise InvalidLink(_("Este enlace ya se usó. Pide uno nuevo."))
    request.session.cycle_key()  # a fresh session id: no fixation across the sign-in
    request.session[SESSION_KEY] = student.pk
    request.session[SESSION_EMAIL_KEY] = student.email.lower()
    student_signed_in.send(sender=Student, student=student, at=timezone.now(), source="portal")
    return student


def current_student(request):
    """The signed-in student, or None (also when their email changed or access ended)."""
    student_id = request.session.get(SESSION_KEY)
    if not student_id:
        return None
    student = (
        Student.objects.select_related("plan")
        .filter(pk=student_id, email__iexact=request.session.get(SESSION_EMAIL_KEY, ""))
        .first()
    )
    if student is None or student.status not in ALLOWED_STATUSES:
        sign_out(request)
        return None
    return student


def sign_in_first(request):
    """The sign-in form, for a visitor who is not signed in. The portal page they asked for
    (a replay or a lesson linked from an email) is remembered in their session, so the
    sign-in link they then use in this browser brings them back to it."""
    if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
        request.session[NEXT_KEY] = request.get_full_path()  # a page, not a video's range
    return redirect("portal:sign_in")


def page_after_sign_in(request):
    """Where a sign-in lands: the portal page asked for before it (only a page of this
    site's portal), else the portal's home."""
    asked = request.session.pop(NEXT_KEY, "")
    home = reverse("portal:home")
    safe = url_has_allowed_host_and_scheme(
        asked, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and asked.startswith(home) and not asked.startswith("//"):
        return asked
    return home


def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SESSION_EMAIL_KEY, None)


def request_sign_in_link(*, email):
    """Email a sign-in link if `email` belongs to a student with access; a student whose
    access ended gets an email that says so and how to come back. Silent for anyone else,
    so the page answers the same whether or not the address is registered."""
    student = Student.objects.filter(
        email__iexact=email.strip(), status__in=(*ALLOWED_STATUSES, Student.Status.INACTIVE)
    ).first()
    if student is None:
        return None
    # At most one email a minute per address: the form must not become a mail cannon.
    if not cache.add(f"portal:asked:{student.pk}", 1, timeout=ASK_INTERVAL_SECONDS):
        return None
    if student.status == Student.Status.INACTIVE:
        return _email_access_ended(student)
    token = make_token(student=student)
    # One email per link: asking again sends a new one (a new token, a new key).
    key = f"students.portal.sign_in.{hashlib.sha256(token.encode()).hexdigest()[:32]}"
    return email_sign_in_link(student=student, idempotency_key=key, token=token)


def email_sign_in_link(*, student, idempotency_key, token=None):
    """Queue the sign-in email (the same `idempotency_key` never sends it twice)."""
    token = token or make_token(student=student)
    return queue_email(
        to=student.email,
        idempotency_key=idempotency_key,
        template="students/sign_in",
        context={
            "name": student.first_name,
            "link": f"{settings.SITE_URL}{reverse('portal:access', kwargs={'token': token})}",
            "hours": settings.PORTAL_LINK_MAX_AGE_SECONDS // 3600,
        },
        language=student.language,
        related=student,
    )


def _email_access_ended(student):
    """Instead of a link that would not work: why, and the plans page to come back."""
    asked = timezone.now().strftime("%Y%m%d%H%M")  # one a minute, as the cache allows
    return queue_email(
        to=student.email,
        idempotency_key=f"students.portal.access_ended.{student.pk}.{asked}",
        template="students/access_ended",
        context={
            "name": student.first_name,
            "plan_name": student.plan.name if student.plan_id else "",
            "plans_url": f"{settings.SITE_URL}{reverse('intake:plans')}",
        },
        language=student.language,
        related=student,
    )


def _used_key(token):
    return "portal:used:" + hashlib.sha256(token.encode()).hexdigest()
