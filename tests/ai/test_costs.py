"""Honest costs: input tokens the provider read from its prompt cache cost what it bills."""

from decimal import Decimal

import pytest

from courseops.ai import generate
from tests.ai.conftest import chat_completion

pytestmark = pytest.mark.django_db


def test_cached_input_tokens_are_billed_at_the_cached_price(fake_openai):
    fake_openai.reply(
        chat_completion("Hola", prompt_tokens=1000, completion_tokens=100, cached_tokens=800)
    )

    usage = generate("smoke", {}).usage

    # gpt-4o-mini: 200 x 0.15 + 800 x 0.075 + 100 x 0.60 per million tokens
    assert usage.cost_usd == Decimal("0.000150")
    assert (usage.tokens_in, usage.tokens_cached, usage.tokens_out) == (1000, 800, 100)


def test_a_model_without_a_cached_price_bills_cached_tokens_at_the_input_price(
    fake_openai, settings
):
    settings.AI_PRICES = {"gpt-4o-mini": {"input": 0.15, "output": 0.60}}
    fake_openai.reply(
        chat_completion("Hola", prompt_tokens=1000, completion_tokens=100, cached_tokens=800)
    )

    assert generate("smoke", {}).usage.cost_usd == Decimal("0.000210")


def test_the_ledger_summary_shows_small_costs_readably(fake_openai, admin_client):
    fake_openai.reply(chat_completion("Hola", prompt_tokens=1000, completion_tokens=100))
    generate("smoke", {})  # 0.00021 USD

    page = admin_client.get("/admin/ai/aiusage/").content.decode()

    assert "0,00021 USD" in page
