from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseops.ai import breaker
from courseops.ai.models import AIUsage

pytestmark = pytest.mark.django_db
URL = reverse("admin:ai_aiusage_changelist")


def make_usages(count, user, **fields):
    defaults = {
        "prompt_version": "1",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "tokens_in": 100,
        "tokens_out": 50,
        "cost_usd": Decimal("0.25"),
        "requested_by": "students.welcome",
        "user": user,
        "error": "x" * 1000,
    }
    AIUsage.objects.bulk_create(
        AIUsage(prompt_name="welcome_email" if n % 2 else "smoke", **{**defaults, **fields})
        for n in range(count)
    )


def changelist_queries(client, query=""):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL + query)
    assert response.status_code == 200
    return len(queries), response


def test_usage_list_loads_in_the_same_number_of_queries_for_2_and_20_rows(client, staff_user):
    client.force_login(staff_user)
    make_usages(2, staff_user)
    few, _ = changelist_queries(client)
    make_usages(18, staff_user)
    many, response = changelist_queries(client)

    assert few == many
    assert response.content.decode().count("students.welcome") >= 20


def test_usage_list_filters_cost_no_distinct_over_the_ledger_and_still_filter(client, staff_user):
    client.force_login(staff_user)
    make_usages(40, staff_user)
    make_usages(3, staff_user, model="whisper-1", kind=AIUsage.Kind.TRANSCRIBE)
    AIUsage.objects.filter(model="whisper-1").update(prompt_name="")

    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL)
    assert page.status_code == 200
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
    # The choices come from the prompt files and the AI settings.
    choices = {spec.title: spec for spec in page.context["cl"].filter_specs}
    prompts = [choice["display"] for choice in choices["prompt"].choices(page.context["cl"])]
    assert {"welcome_email", "webinar_summary", "Ninguno (transcripción)"} <= set(prompts)
    models = [choice["display"] for choice in choices["modelo"].choices(page.context["cl"])]
    assert {"gpt-4o-mini", "whisper-1", "offline"} <= set(models)

    def shown(query):
        response = client.get(URL + query)
        return response.context["cl"].result_count

    assert shown("?prompt_name=welcome_email") == 20
    assert shown("?prompt_name=-") == 3  # the transcriptions
    assert shown("?model=whisper-1") == 3
    assert shown("?model=gpt-4o&prompt_name=smoke") == 0


def test_usage_list_shows_totals_for_the_filtered_rows(client, staff_user):
    client.force_login(staff_user)
    make_usages(4, staff_user)
    make_usages(3, staff_user, provider="offline", offline=True, cost_usd=0)

    _, response = changelist_queries(client, "?prompt_name=smoke&provider=openai")

    totals = response.context["usage_totals"]
    assert totals["overall"][1:] == [2, 0, 0, 0, 200, 100, "0,5"]
    assert [row[0] for row in totals["by_prompt"]["rows"]] == ["smoke"]
    assert totals["by_model"]["rows"][0][0] == "gpt-4o-mini"
    assert "1 de 20 USD" in response.content.decode()  # today's spend against the budget


def test_the_ledger_cannot_be_edited_from_the_admin(client, staff_user):
    client.force_login(staff_user)
    make_usages(1, staff_user)
    usage = AIUsage.objects.get()

    assert client.get(reverse("admin:ai_aiusage_add")).status_code == 403
    page = client.get(reverse("admin:ai_aiusage_change", args=[usage.pk]))
    assert page.status_code == 200
    assert "x" * 1000 in page.content.decode()  # the error, deferred on the list, shown here
    response = client.post(reverse("admin:ai_aiusage_change", args=[usage.pk]), {"cost_usd": "0"})
    assert response.status_code == 403
    usage.refresh_from_db()
    assert usage.cost_usd == Decimal("0.25")


def test_totals_cover_the_last_30_days_unless_staff_filter_by_date(
    client, staff_user, time_machine
):
    client.force_login(staff_user)
    time_machine.move_to("2026-10-01 12:00:00+00:00", tick=False)
    make_usages(1, staff_user)
    time_machine.move_to("2026-11-25 12:00:00+00:00", tick=False)
    make_usages(2, staff_user)

    _, recent = changelist_queries(client)
    _, all_time = changelist_queries(client, "?created_at__year=2026")

    assert recent.context["usage_totals"]["overall"][1] == 2
    assert all_time.context["usage_totals"]["overall"][1] == 3


def test_usage_list_warns_staff_while_the_circuit_is_open(client, staff_user, settings):
    settings.AI_PROVIDER = "openai"
    settings.AI_BREAKER_FAILURES = 1
    client.force_login(staff_user)
    breaker.record_failure("openai")

    _, response = changelist_queries(client)

    assert "el circuito está abierto" in response.content.decode()
