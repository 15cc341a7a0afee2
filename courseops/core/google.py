"""Google's APIs through the official client (google-api-python-client): one OAuth
refresh token for the business's Google account, a timeout on every call, and the error
classification the rest of the project uses (permanent or not)."""

import httplib2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from courseops.core import http


def configured():
    return bool(
        settings.GOOGLE_CLIENT_ID
        and settings.GOOGLE_CLIENT_SECRET
        and settings.GOOGLE_REFRESH_TOKEN
    )


def service(api, version, *, scopes):
    """A discovery client for `api` (e.g. "drive", "v3"), built from the discovery document
    shipped with the library (no network call to build it)."""
    import google_auth_httplib2
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    if not configured():
        raise ImproperlyConfigured("GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN")
    credentials = Credentials(
        None,
        refresh_token=settings.GOOGLE_REFRESH_TOKEN,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
        token_uri=settings.GOOGLE_TOKEN_URI,
        scopes=scopes,
    )
    authorized = google_auth_httplib2.AuthorizedHttp(
        credentials, http=httplib2.Http(timeout=settings.GOOGLE_TIMEOUT_SECONDS)
    )
    options = None
    if settings.GOOGLE_API_ENDPOINT:
        # The client replaces root URL and service path together.
        options = {"api_endpoint": f"{settings.GOOGLE_API_ENDPOINT.rstrip('/')}/{api}/{version}/"}
    return build(api, version, http=authorized, client_options=options, static_discovery=True)


def error_status(exc):
    """The HTTP status of a googleapiclient HttpError (None for a transport failure)."""
    resp = getattr(exc, "resp", None)
    return getattr(resp, "status", None)


def is_permanent(exc):
    status = error_status(exc)
    return status is not None and not http.is_transient(status)
