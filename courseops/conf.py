"""Typed access to environment variables, shared by settings and system checks."""

from pathlib import Path

import environ

env = environ.Env()
_dotenv = Path(__file__).resolve().parent.parent / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv), overwrite=False)

_MISSING = object()


def env_secret(name, default=_MISSING):
    """A secret from `NAME`, or from the file named by `NAME_FILE` (Docker/K8s secrets).

    A default of None means the variable is required.
    """
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


def production_security_settings():
    """The security settings production runs with (behind a proxy that ends TLS and says
    so in `X-Forwarded-Proto`). A function so that the browser tests apply exactly these
    to their HTTPS live server (tests/browser/conftest.py) rather than a copy."""
    return {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True),
        "SECURE_HSTS_SECONDS": env.int("DJANGO_HSTS_SECONDS", default=31536000),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        # Cookies any view sets (courseops.core.headers), such as the landing page's.
        "COOKIES_SECURE": env.bool("DJANGO_COOKIES_SECURE", default=True),
    }


def content_security_policies(*, form_action, report_uri):
    """The policy of every page, and the admin's (django-csp 4 settings).

    Pages: our own origin plus the request's nonce for scripts and styles, no plugins, no
    framing. The admin (django-unfold 0.91): Alpine.js needs 'unsafe-eval'; unfold's inline
    <style> blocks and style attributes need 'unsafe-inline' for styles (no nonce there: a
    nonce would make browsers ignore 'unsafe-inline'); email previews may show https images.
    """
    from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE

    base = {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *form_action],
        **({"report-uri": report_uri} if report_uri else {}),
    }
    pages = {"DIRECTIVES": {**base, "script-src": [SELF, NONCE], "style-src": [SELF, NONCE]}}
    admin = {
        **base,
        "script-src": [SELF, UNSAFE_EVAL],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
    }
    return pages, admin
