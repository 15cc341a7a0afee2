"""Machine-to-machine URLs (vendors' webhooks) skip the middleware that serves people.

A webhook request carries no cookie, no session and no signed-in user; its view is
CSRF-exempt, checks the vendor's signature itself and answers in English JSON. Yet the
full chain (django-structlog's request binding with ipware and its two log lines,
sessions, auth, OTP, staff two-factor, axes, messages, CSRF, the API's language) cost it
about as much CPU as its own work: verifying, parsing and storing the event
(bench/README.md, webhook inbox).

`LeanPathMiddleware` is the fork in `MIDDLEWARE`: everything listed above it (security
headers, HTTPS redirect, CSP, cookie flags) runs for every request; for a path under
`LEAN_PATH_PREFIXES` the URL is resolved and the view called right after it, with
Django's own view handling (404 and 500 pages, `ATOMIC_REQUESTS`, response checks) and
nothing listed below. Middleware above the fork must not rely on `process_view`, which a
lean path does not run.
"""

import uuid

import structlog
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response


class _ViewOnlyHandler(BaseHandler):
    """Django's resolve-and-call-the-view step with an empty middleware list."""

    def __init__(self):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)


class LeanPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.LEAN_PATH_PREFIXES)
        self.view_only = _ViewOnlyHandler()._middleware_chain

    def __call__(self, request):
        if not request.path_info.startswith(self.prefixes):
            return self.get_response(request)
        # The one thing kept from django-structlog's middleware: a request id on this
        # request's log lines and in the headers of the tasks it publishes.
        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()))
        try:
            return self.view_only(request)
        finally:
            structlog.contextvars.clear_contextvars()
