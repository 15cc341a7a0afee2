"""Rate limits for public endpoints, with DRF's throttles (limits in settings'
`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, counted in the shared cache).

DRF views opt in with `throttle_scope = "<scope>"`; plain Django views (public forms)
with the `throttled("<scope>")` decorator. A client is its user when signed in, else its
IP address (behind proxies, set THROTTLE_NUM_PROXIES so X-Forwarded-For is trusted
exactly that far and cannot be forged to dodge the limit).
"""

import math
from functools import wraps

from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, reading the rates when used rather than at import time."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _ViewThrottle(ScopedThrottle):
    def __init__(self, scope):
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def allow(self, request):
        return self.rate is None or super(ScopedRateThrottle, self).allow_request(request, None)


def throttled(scope, methods=("POST",)):
    """Answer 429 with Retry-After once a client exceeds the scope's rate."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                throttle = _ViewThrottle(scope)
                if not throttle.allow(request):
                    wait = math.ceil(throttle.wait() or 1)
                    response = HttpResponse(
                        _("Demasiados intentos. Vuelve a probar en %(seconds)d segundos.")
                        % {"seconds": wait},
                        status=429,
                        content_type="text/plain; charset=utf-8",
                    )
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
