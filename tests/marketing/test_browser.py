"""Staff build a segment in a real browser: rows, a live count, saved as rules."""

import pytest

from marketing.models import Lead, Segment

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_staff_build_a_segment_with_rows_and_see_the_live_count(
    live_server, browser_page, staff_user
):
    for email, country in (
        ("a@example.com", "MX"),
        ("b@example.com", "MX"),
        ("c@example.com", "ES"),
    ):
        Lead.objects.create(email=email, country=country, first_source="api", last_source="api")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/marketing/segment/add/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw-ana-1234")
    page.click("button[type=submit]")
    page.wait_for_selector("#segment-builder")
    page.fill("#id_name", "México")

    page.get_by_role("button", name="+ condición").click()
    page.get_by_label("campo").select_option("country")
    page.get_by_label("operador").select_option("is")
    page.get_by_label("valor").fill("MX")

    page.wait_for_function(
        "document.getElementById('segment-live-count').textContent.includes('2 contactos')"
    )
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/marketing/segment/")

    segment = Segment.objects.get(name="México")
    assert segment.rules == {
        "match": "all",
        "conditions": [{"field": "country", "op": "is", "value": "MX"}],
    }
