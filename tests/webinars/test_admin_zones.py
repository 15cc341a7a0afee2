"""The webinar's admin page in the webinar's own zone, for every staff role, in few queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.messaging.models import OutboundMessage, Status
from tests.webinars.conftest import START
from webinars.models import Webinar
from webinars.services import registration_create, scan_due_reminders

pytestmark = [pytest.mark.django_db]
ADD = reverse("admin:webinars_webinar_add")
MADRID_22 = datetime(2026, 12, 10, 21, 0, tzinfo=UTC)  # 22:00 in Madrid, 15:00 in CDMX


@pytest.fixture(params=["superuser", "support", "marketing"])
def staff_member(request, django_user_model):
    """The admin as each role that may edit webinars sees it."""
    if request.param == "superuser":
        return django_user_model.objects.create_user(
            username="ana", email="ana@example.com", is_staff=True, is_superuser=True
        )
    user = django_user_model.objects.create_user(
        username=request.param, email=f"{request.param}@example.com", is_staff=True
    )
    user.groups.add(Group.objects.get(name=request.param))
    return user


def change_form_data(response):
    """The change form as the browser would post it back unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        widget_data = {}
        if hasattr(field.widget, "widgets"):
            values = field.widget.decompress(value) if not isinstance(value, list) else value
            for index, part in enumerate(values):
                fmt = "%Y-%m-%d" if index == 0 else "%H:%M:%S"
                widget_data[f"{bound.html_name}_{index}"] = part.strftime(fmt) if part else ""
        elif isinstance(value, (list, tuple)):
            widget_data[bound.html_name] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                widget_data[bound.html_name] = "on"
        elif value is not None:
            widget_data[bound.html_name] = str(value)
        data.update(widget_data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for inline_form in formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                key = inline_form.add_prefix(name)
                if isinstance(value, bool):
                    if value:
                        data[key] = "on"
                elif value is not None:
                    data[key] = str(value)
    return data


def test_a_new_webinar_saved_with_plans_keeps_them_for_every_role(
    client, staff_member, plan, other_plan
):
    client.force_login(staff_member)
    data = {
        "title": "Con planes",
        "description": "",
        "starts_at_0": "2026-12-20",
        "starts_at_1": "18:00:00",
        "time_zone": "America/Bogota",
        "duration_minutes": 60,
        "language": "es",
        "plans": [plan.pk, other_plan.pk],
    }

    response = client.post(ADD, data)

    assert response.status_code == 302, response.text[:2000]
    webinar = Webinar.objects.get()
    assert set(webinar.plans.all()) == {plan, other_plan}
    assert webinar.reminders.count() == 4
    # 18:00 typed for a Bogotá webinar is 18:00 in Bogotá (23:00 UTC), not in CDMX.
    assert webinar.starts_at == datetime(2026, 12, 20, 23, 0, tzinfo=UTC)


def test_a_madrid_webinar_reads_its_madrid_time_and_saving_it_keeps_the_time(
    client, staff_member, make_webinar
):
    webinar = make_webinar(title="Madrid", time_zone="Europe/Madrid", starts_at=MADRID_22)
    client.force_login(staff_member)
    url = reverse("admin:webinars_webinar_change", args=[webinar.pk])

    page = client.get(url)

    assert page.status_code == 200
    assert 'value="22:00:00"' in page.text
    assert "Inicio, hora de España (Madrid)" in page.text
    saved = client.post(url, change_form_data(page))
    assert saved.status_code == 302, saved.text[:3000]
    webinar.refresh_from_db()
    assert webinar.starts_at == MADRID_22


def test_staff_move_a_madrid_webinar_by_typing_the_madrid_time(client, staff_user, make_webinar):
    webinar = make_webinar(title="Madrid", time_zone="Europe/Madrid", starts_at=MADRID_22)
    client.force_login(staff_user)
    url = reverse("admin:webinars_webinar_change", args=[webinar.pk])
    data = change_form_data(client.get(url))
    data["starts_at_1"] = "20:30:00"

    assert client.post(url, data).status_code == 302
    webinar.refresh_from_db()
    assert webinar.starts_at == datetime(2026, 12, 10, 19, 30, tzinfo=UTC)


def _fill(make_webinar, count, webinar=None):
    webinar = webinar or make_webinar()
    for index in range(count):
        registration_create(webinar=webinar, email=f"p{index}-{count}@example.com", source="api")
    return webinar


def _change_page_queries(client, webinar):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:webinars_webinar_change", args=[webinar.pk]))
    assert page.status_code == 200
    timeline = [q for q in queries.captured_queries if "webinars_reminderdelivery" in q["sql"]]
    return len(queries), len(timeline), page


def test_the_change_page_takes_the_same_few_queries_with_2_or_20_registrants(
    client, staff_user, make_webinar, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    with time_machine.travel(START - timedelta(days=20), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            webinar = _fill(make_webinar, 2)
        with (
            time_machine.travel(START - timedelta(days=1), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            scan_due_reminders()
        OutboundMessage.objects.filter(idempotency_key__startswith="webinars.reminder.").update(
            status=Status.FAILED
        )
        small, timeline, page = _change_page_queries(client, webinar)
        with django_capture_on_commit_callbacks(execute=True):
            _fill(make_webinar, 18, webinar)
        large, _, _ = _change_page_queries(client, webinar)

    assert timeline == 1  # the reminder timeline is built once per page
    assert small == large
    assert small <= 23  # measured: 23 with the sidebar's review counts (65 before)
    # the 1-day reminder's failures, counted in one query
    assert '<td class="num">2</td>' in page.text
