"""The portal's navigation: sections the apps register, shown on every signed-in page and
as cards with a summary on the home page, in the student's language, in constant queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from students.models import Student
from students.portal.navigation import register_section, sections, unregister_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(portal_sign_in, student):
    return portal_sign_in(student)


@pytest.fixture
def extra_sections():
    """Sections like the ones other apps register, each summary costing one query."""
    keys = []

    def add(n):
        for i in range(len(keys), len(keys) + n):
            key = f"extra{i}"
            register_section(
                key,
                f"Extra {i}",
                "portal:home",
                order=90 + i,
                summary=lambda s, i=i: f"{Student.objects.filter(pk=s.pk).count() + i} cosas",
                badge=lambda s, i=i: i or None,
            )
            keys.append(key)

    yield add
    for key in keys:
        unregister_section(key)


def _nav(html):
    return re.search(r'<nav class="sections" aria-label="([^"]+)">(.*?)</nav>', html, re.S)


def test_the_home_page_shows_every_registered_section_in_order_with_its_summary(
    client, signed_in, extra_sections
):
    extra_sections(2)
    html = client.get("/portal/").content.decode()

    nav = _nav(html)
    assert nav.group(1) == "Secciones del portal"
    labels = [s.strip() for s in re.findall(r"<a href=[^>]*>([^<]+)", nav.group(2))]
    assert labels == [s.label for s in sections()]
    assert labels[0] == "Inicio"
    assert {"Lecciones", "Mis webinars", "Extra 0", "Extra 1"} <= set(labels)
    assert '<a href="/portal/" aria-current="page">Inicio</a>' in nav.group(2)
    assert 'Extra 1 <span class="badge">' in nav.group(2)  # its badge
    cards = html.split('<ul class="cards">')[1].split("</ul>")[0]
    assert 'Extra 0</strong><span class="muted">1 cosas' in cards
    assert "Inicio" not in cards  # the home is not a card on itself


def test_the_section_being_shown_is_marked_current(client, signed_in):
    nav = _nav(client.get("/portal/lecciones/").content.decode()).group(2)

    assert '<a href="/portal/lecciones/" aria-current="page">Lecciones' in nav
    assert '<a href="/portal/">Inicio</a>' in nav


def test_pages_before_sign_in_have_no_navigation(client):
    assert _nav(client.get("/portal/entrar/").content.decode()) is None


def test_the_navigation_speaks_the_students_language(client, signed_in):
    Student.objects.filter(pk=signed_in.pk).update(language="en")
    html = client.get("/portal/").content.decode()

    nav = _nav(html)
    assert nav.group(1) == "Portal sections"
    assert ">Home</a>" in nav.group(2)
    assert ">Lessons" in nav.group(2)
    assert ">My webinars" in nav.group(2)


def _queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/portal/").status_code == 200
    return len(queries)


def test_the_home_page_costs_one_query_per_summary_once_and_then_none(
    client, signed_in, extra_sections
):
    extra_sections(1)
    cold_one = _queries(client)
    warm_one = _queries(client)
    extra_sections(4)
    cold_five = _queries(client)
    warm_five = _queries(client)

    assert cold_one > warm_one
    assert cold_five - warm_five == 4  # one query for each new section's summary, once
    assert warm_five == warm_one  # cached: the number of sections costs nothing
