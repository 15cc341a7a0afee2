"""Inner tables in admin pages: one include and one stylesheet, so none renders bare
under unfold's reset (cells running together: "enviadosentregadosrebotes")."""

import re

from django.conf import settings
from django.test import RequestFactory
from django.utils.html import format_html

from courseops.core.tables import stylesheet, table

TABLE_TAG = re.compile(r"<table\b[^>]*>")
# Our code, not the virtualenv, the tests or what collectstatic copies.
SKIPPED = {".venv", "var", "tests", "node_modules", ".git", "bench"}
# Not admin pages: the weekly report is an email and a PDF with its own inline styles.
NOT_ADMIN = {"templates/engagement/weekly_report.html"}


def _sources(suffix):
    for path in sorted(settings.BASE_DIR.rglob(f"*{suffix}")):
        relative = path.relative_to(settings.BASE_DIR)
        if relative.parts[0] in SKIPPED or str(relative) in NOT_ADMIN:
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_every_table_in_our_templates_carries_the_shared_style():
    bare = [
        f"{relative}: {tag}"
        for relative, text in _sources(".html")
        for tag in TABLE_TAG.findall(text)
        if 'class="co-table"' not in tag
    ]
    assert bare == []


def test_python_code_builds_tables_only_through_the_shared_include():
    hand_made = [str(relative) for relative, text in _sources(".py") if "</table>" in text]
    assert hand_made == []


def test_a_table_escapes_text_keeps_safe_cells_and_aligns_numbers():
    html = table(
        ["paso", "coste"],
        [("<b>transcribir</b>", 3), (format_html("<a href='{}'>x</a>", "/x/"), 4)],
        numeric=(1,),
    )
    assert '<table class="co-table">' in html
    assert '<th scope="col" class="num">coste</th>' in html
    assert "&lt;b&gt;transcribir&lt;/b&gt;" in html
    assert "<a href='/x/'>x</a>" in html
    assert '<td class="num">3</td>' in html


def test_a_table_without_rows_is_the_empty_mark():
    assert table(["paso"], []) == "-"
    assert table(["paso"], [], empty="—") == "—"


def test_the_stylesheet_is_on_every_admin_page(client, django_user_model):
    assert stylesheet(RequestFactory().get("/")) == "/static/courseops/admin.css"
    css = (settings.BASE_DIR / "static" / "courseops" / "admin.css").read_text()
    assert re.search(r"table\.co-table th,\s*table\.co-table td \{\s*padding", css)
    staff = django_user_model.objects.create_superuser("ana", "ana@example.com", "x")
    client.force_login(staff)
    page = client.get("/admin/password_change/")
    assert b'href="/static/courseops/admin.css"' in page.content
