"""Pages reached through a personal link: an address that carries a token or a code.

The token in such an address is a credential (it signs a person in, answers a survey for
them, changes their consents), so the page must not hand it to anyone else:

- `Referrer-Policy: same-origin`. Links and redirects to other sites (a meeting room, a
  Stripe page, a campaign's target) send no Referer, so the token never reaches them,
  while the page's own forms keep sending their Origin. `no-referrer` would also hide the
  token, but Chromium then posts forms with `Origin: null`, which Django's CSRF check
  refuses (403): the person could not answer at all.
- Never cached: not by the browser's back button on a shared computer, not by a proxy.
- `X-Robots-Tag: noindex`: a link pasted somewhere public stays out of search engines.

Every view whose address carries a token is wrapped with `personal_link_page`;
tests/core/test_personal_link_pages.py walks the URL patterns to hold that rule.
"""

from functools import wraps

from django.http import Http404
from django.urls import get_resolver
from django.utils.cache import add_never_cache_headers

REFERRER_POLICY = "same-origin"
# The URL keywords that make an address personal.
PERSONAL_URL_KWARGS = frozenset({"token", "code"})


def personal_link_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            # An unknown token is answered here, so its page carries the same headers.
            response = get_resolver().resolve_error_handler(404)(request, exc)
        response["Referrer-Policy"] = REFERRER_POLICY
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response

    wrapped.personal_link_page = True
    return wrapped
