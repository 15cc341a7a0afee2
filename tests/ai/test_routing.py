"""A model per task, budgets per month and per area, and the fallback provider."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from courseops.ai import AIBudgetExceeded, AIUnavailable, breaker, generate
from courseops.ai.models import AIUsage
from tests.ai.conftest import api_error, chat_completion

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.fixture
def essay_prompt(settings, tmp_path):
    """A strong-class prompt beside the shipped ones (smoke is light)."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "essay.toml").write_text(
        'version = 1\ncache = "shared"\nmodel_class = "strong"\nuser = "Escribe"\n'
        '[offline.es]\ntext = "ensayo"\n'
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]


def test_each_prompt_runs_on_the_model_its_class_maps_to(fake_openai, settings, essay_prompt):
    settings.AI_MODELS = {"light": "gpt-4o-mini", "strong": "gpt-4o"}
    fake_openai.reply(chat_completion("hola"), chat_completion("ensayo"))

    light = generate("smoke", {})
    strong = generate("essay", {})

    assert [r["body"]["model"] for r in fake_openai.requests] == ["gpt-4o-mini", "gpt-4o"]
    assert (light.usage.model, strong.usage.model) == ("gpt-4o-mini", "gpt-4o")
    # priced as the model that ran: 120 in, 45 out
    assert strong.usage.cost_usd == Decimal("0.000750")


def test_a_class_without_a_model_uses_ai_model(fake_openai, settings, essay_prompt):
    settings.AI_MODELS = {"light": "", "strong": ""}
    settings.AI_MODEL = "gpt-4.1-mini"
    fake_openai.reply(chat_completion("ensayo"))

    generate("essay", {})

    assert fake_openai.requests[0]["body"]["model"] == "gpt-4.1-mini"


def _spent(cost, requested_by, when):
    AIUsage.objects.create(
        provider="openai",
        model="gpt-4o",
        cost_usd=Decimal(cost),
        requested_by=requested_by,
        created_at=when,
    )


def test_the_monthly_budget_queues_calls_until_the_first_of_the_month(fake_openai, settings):
    settings.AI_OVER_BUDGET = "queue"
    settings.AI_MONTHLY_BUDGET_USD = 10
    _spent("6", "content.summary", NOW - dt.timedelta(days=10))
    _spent("4", "students.welcome", NOW - dt.timedelta(days=2))
    _spent("50", "content.summary", NOW - dt.timedelta(days=30))  # last month

    with time_machine.travel(NOW, tick=False), pytest.raises(AIBudgetExceeded) as caught:
        generate("smoke", {}, requested_by="content.x")

    assert "mensual" in str(caught.value)
    assert (
        caught.value.retry_after
        == int((dt.datetime(2026, 12, 1, tzinfo=dt.UTC) - NOW).total_seconds()) + 1
    )
    assert fake_openai.requests == []


def test_an_areas_monthly_budget_stops_only_that_area(fake_openai, settings):
    settings.AI_OVER_BUDGET = "queue"
    settings.AI_AREA_MONTHLY_BUDGETS_USD = {"marketing": 1.0}
    _spent("1.5", "marketing.sequence", NOW - dt.timedelta(days=3))
    fake_openai.reply(chat_completion("hola"))

    with time_machine.travel(NOW, tick=False):
        with pytest.raises(AIBudgetExceeded, match="marketing"):
            generate("smoke", {}, requested_by="marketing.posts")
        assert generate("smoke", {}, requested_by="engagement").text == "hola"

    assert len(fake_openai.requests) == 1


def test_with_the_primarys_circuit_open_the_fallback_answers_and_the_ledger_says_so(
    fake_openai, fake_fallback, settings
):
    for _ in range(settings.AI_BREAKER_FAILURES):
        breaker.record_failure("openai")
    fake_fallback.reply(chat_completion("hola desde el servidor local", model="llama3.1:8b"))

    result = generate("smoke", {})

    assert fake_openai.requests == []
    assert fake_fallback.requests[0]["body"]["model"] == "llama3.1:8b"
    assert result.text == "hola desde el servidor local"
    usage = result.usage
    assert (usage.provider, usage.model, usage.fallback) == ("fallback", "llama3.1:8b", True)


def test_the_call_that_opens_the_circuit_is_answered_by_the_fallback(
    fake_openai, fake_fallback, settings
):
    settings.AI_BREAKER_FAILURES = 3
    fake_openai.reply(*[api_error(503, code=None, message="down") for _ in range(3)])
    fake_fallback.reply(chat_completion("hola local"))

    result = generate("smoke", {})

    assert len(fake_openai.requests) == 3
    assert result.text == "hola local"
    assert result.usage.fallback is True
    assert result.usage.attempts == 4


def test_without_a_fallback_an_open_circuit_still_waits(fake_openai, settings):
    for _ in range(settings.AI_BREAKER_FAILURES):
        breaker.record_failure("openai")

    with pytest.raises(AIUnavailable):
        generate("smoke", {})

    assert fake_openai.requests == []
