"""Staff sign-in: lockout after repeated failures (django-axes) and the two-factor policy
(django-otp TOTP) that decides who must prove a code before using a staff session.

Lockout: failures are counted per username and, separately, per client address
(`AXES_LOCKOUT_PARAMETERS`); reaching `STAFF_LOCKOUT_FAILURES` refuses that username, or
that address, for `STAFF_LOCKOUT_MINUTES`, even with the right password. Staff unlock
someone at once with `manage.py axes_reset_username <name>` or `axes_reset_ip <address>`.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

ADMIN_ROLE = "admin"


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, for sign-ins that come with a request (the admin's form, DRF's basic
    auth). A credential check without a request (a shell, `Client.login()`) has no address
    to count against: it is not a sign-in attempt and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The admin's sign-in page with the lockout explained in Spanish (429)."""
    minutes = settings.STAFF_LOCKOUT_MINUTES
    context = {
        **admin.site.each_context(request),
        "title": _("Acceso bloqueado"),
        "message": _(
            "Demasiados intentos fallidos. Por seguridad, el acceso con este usuario o desde "
            "esta dirección queda bloqueado durante %(minutes)s minutos. Si no puedes esperar, "
            "pide a un administrador que lo desbloquee."
        )
        % {"minutes": minutes},
    }
    return TemplateResponse(request, "admin/locked_out.html", context, status=429).render()


# --- Two-factor -----------------------------------------------------------------------


def two_factor_required(user):
    """Whether this person must prove a TOTP code: everyone who enrolled a device, and, when
    `STAFF_2FA_REQUIRED` is on, the accounts that can do everything (superusers and the
    `admin` role)."""
    if not (user.is_authenticated and user.is_staff):
        return False
    from django_otp import user_has_device

    if user_has_device(user, confirmed=True):
        return True
    return settings.STAFF_2FA_REQUIRED and (
        user.is_superuser or user.groups.filter(name=ADMIN_ROLE).exists()
    )


def safe_next(request, default=None):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("admin:index")


SESSION_KEY = "staff_2fa"


def remember_two_factor_need(request, user):
    """Decided once per session (at sign-in, or on the first request of a session signed in
    before this existed), so staff pages do not pay a query for it on every request."""
    request.session[SESSION_KEY] = "required" if two_factor_required(user) else "not_required"


@receiver(user_logged_in, dispatch_uid="courseops.staff_2fa")
def _on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_two_factor_need(request, user)


class StaffTwoFactorMiddleware:
    """A staff session that needs a second factor and has not given it reaches only the
    enrolment and verification pages (and sign-out): other admin pages redirect there, and
    everywhere else (the API's session auth, the portal) the session counts as signed out.

    Goes after django-otp's OTPMiddleware, which sets `user.is_verified()`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if SESSION_KEY not in request.session:
                remember_two_factor_need(request, user)
            if request.session[SESSION_KEY] == "required" and not user.is_verified():
                response = self._hold(request, user)
                if response is not None:
                    return response
        return self.get_response(request)

    def _hold(self, request, user):
        verify = reverse("staff_2fa:verify")
        enrol = reverse("staff_2fa:enrol")
        allowed = (verify, enrol, reverse("admin:logout"), reverse("admin:jsi18n"))
        if request.path_info in allowed:
            return None
        if request.path_info.startswith(reverse("admin:index")):
            from django_otp import user_has_device

            target = verify if user_has_device(user, confirmed=True) else enrol
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        request.user = AnonymousUser()
        return None
