"""Security headers and cookie flags applied to every response.

The Content-Security-Policy is django-csp's (`CONTENT_SECURITY_POLICY` in settings: scripts
and styles from our origin or carrying the request's nonce, no framing). The admin gets a
looser variant (`CONTENT_SECURITY_POLICY_ADMIN`) because django-unfold 0.91 is built on the standard
Alpine.js, which compiles its `x-data`/`x-init` attributes with the `AsyncFunction`
constructor ('unsafe-eval'), and writes inline `<style>` blocks and `style=""` attributes
('unsafe-inline' for styles only). Inline scripts stay refused there too.
"""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy

_admin_prefix = lazy(lambda: reverse("admin:index"), str)


class CourseOpsCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's directives replacing the site's under
    the admin's URL prefix (a view's own `@csp_replace` still wins)."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if (
            not report_only
            and parts.replace is None
            and request.path_info.startswith(str(_admin_prefix()))
        ):
            parts.replace = settings.CONTENT_SECURITY_POLICY_ADMIN
        return parts


class CookieFlagsMiddleware:
    """Every cookie any view sets leaves with `Secure` when `COOKIES_SECURE` is on (in
    production) and `HttpOnly` unless it is one that scripts must read
    (`COOKIES_READABLE_BY_SCRIPTS`): the rule holds for cookies added later too, not only
    for the ones Django's settings know (session, CSRF, language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        readable = set(settings.COOKIES_READABLE_BY_SCRIPTS)
        for name, morsel in response.cookies.items():
            if settings.COOKIES_SECURE:
                morsel["secure"] = True
            if name not in readable:
                morsel["httponly"] = True
        return response
