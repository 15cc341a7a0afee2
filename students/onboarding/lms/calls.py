"""Calls to an LMS's REST API through the one HTTP client, with bounded retries.

Neither Thinkific nor Teachable takes idempotency keys, so a backend looks before it
writes; what this module decides is only whether an answer is worth another try: 429 and
5xx (and network errors) are retried a few times with backoff, honouring Retry-After; any
other 4xx is permanent.
"""

import time

from django.utils.translation import gettext as _

from courseops.core import http
from students.onboarding.lms import LMSError

ATTEMPTS = 3
BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 10.0


class LMSCalls:
    """Mixed into a backend that has `label` and an `http.make_client` as `self.client`."""

    label = ""

    def _request(self, method, path, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = http.request(method, path, client=self.client, **kwargs)
            except http.HTTPError as exc:
                error = LMSError(_("%(lms)s no responde: %(e)s") % {"lms": self.label, "e": exc})
                retry_after = None
            else:
                if response.status_code < 400:
                    return response.json() if response.content else {}
                error = LMSError(
                    _("%(lms)s respondió %(status)s a %(method)s %(path)s: %(body)s")
                    % {
                        "lms": self.label,
                        "status": response.status_code,
                        "method": method,
                        "path": path,
                        "body": response.text[:500],
                    },
                    permanent=response.status_code != 429 and response.status_code < 500,
                    status=response.status_code,
                )
                retry_after = response.headers.get("Retry-After")
            if error.permanent or attempt == ATTEMPTS:
                raise error
            time.sleep(_delay(attempt, retry_after))
        raise AssertionError("unreachable")


def _delay(attempt, retry_after):
    try:
        wanted = float(retry_after) if retry_after else 0.0
    except ValueError:
        wanted = 0.0
    return min(max(wanted, BACKOFF_SECONDS * 2 ** (attempt - 1)), MAX_BACKOFF_SECONDS)
