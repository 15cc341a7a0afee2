"""Every page whose address carries a token keeps it to itself (no Referer to other sites,
never cached, not indexed) while its forms still pass Django's CSRF Origin check."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from courseops.core.pages import PERSONAL_URL_KWARGS, REFERRER_POLICY

pytestmark = pytest.mark.django_db


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _personal_patterns():
    return [
        (route, entry)
        for route, entry in _patterns()
        if PERSONAL_URL_KWARGS & set(entry.pattern.converters)
    ]


def test_every_address_with_a_token_is_a_personal_link_page():
    found = _personal_patterns()
    routes = {route for route, _ in found}
    # The pages people reach from an email: if one disappears, this list says so.
    assert {
        "portal/acceso/<str:token>/",
        "encuestas/<str:token>/",
        "suscripcion/confirmar/<str:token>/",
        "suscripcion/preferencias/<str:token>/",
        "messaging/baja/<str:token>/",
        "o/<str:token>/",
        "registro/corregir/<str:token>/",
        "ayuda/voto/<str:token>/",
        "certificados/<str:code>/",
        "webinars/join/<str:token>/",
    } <= routes
    unguarded = [
        route for route, entry in found if not getattr(entry.callback, "personal_link_page", False)
    ]
    assert unguarded == []


def test_each_personal_page_answers_even_a_bad_token_with_the_safe_headers(client):
    for route, _entry in _personal_patterns():
        url = "/" + route.replace("<str:token>", "no-es-un-token").replace("<str:code>", "NOPE")
        response = client.get(url)
        assert response.status_code < 500, url
        assert response["Referrer-Policy"] == REFERRER_POLICY, url
        # Not `no-referrer`: with it Chromium posts the page's forms with `Origin: null`.
        assert "no-store" in response["Cache-Control"], url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url
