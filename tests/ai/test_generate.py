import json
from decimal import Decimal

import jsonschema
import pytest

from courseops.ai import (
    AIBudgetExceeded,
    AIOutputInvalid,
    AIProviderError,
    AIUnavailable,
    PromptError,
    generate,
)
from courseops.ai.models import AIUsage
from courseops.ai.prompts import build_context, load_prompt
from tests.ai.conftest import API_KEY, api_error, chat_completion, slow

pytestmark = pytest.mark.django_db

STUDENT = {"name": "Lucía", "plan": "Pro anual", "interests": ["LLMs", "visión artificial"]}
WELCOME = {"subject": "¡Bienvenida, Lucía!", "body_html": "<p>Hola Lucía</p>"}


def welcome_json(**overrides):
    return json.dumps({**WELCOME, **overrides}, ensure_ascii=False)


def test_offline_provider_is_the_default_and_drafts_valid_marked_output(settings):
    assert settings.AI_PROVIDER == "offline"

    result = generate("welcome_email", STUDENT, requested_by="students.welcome")

    jsonschema.validate(result.data, load_prompt("welcome_email").schema)
    assert result.offline is True
    assert result.provider == "offline"
    assert result.offline_reason == AIUsage.OfflineReason.CONFIGURED
    assert "Lucía" in result.data["subject"]
    assert "<strong>Pro anual</strong>" in result.data["body_html"]
    assert "LLMs, visión artificial" in result.data["body_html"]
    usage = AIUsage.objects.get()
    assert (usage.offline, usage.cost_usd, usage.requested_by) == (True, 0, "students.welcome")
    assert usage.prompt_version == "2"


def test_offline_draft_escapes_html_in_the_body_but_not_in_the_subject():
    result = generate("welcome_email", {"name": "Ana <script>", "plan": "Básico"})

    assert "Ana &lt;script&gt;" in result.data["body_html"]
    assert "<script>" not in result.data["body_html"]
    assert result.data["subject"] == "¡Te damos la bienvenida, Ana <script>!"


def test_offline_draft_is_written_in_the_requested_language():
    result = generate("welcome_email", STUDENT, language="en")

    assert result.data["subject"] == "Welcome aboard, Lucía!"
    assert generate("smoke", {}, language="pt").text.startswith("O assistente de IA")


def test_openai_receives_the_rendered_prompt_and_the_json_schema(fake_openai, staff_user):
    fake_openai.reply(chat_completion(welcome_json(), prompt_tokens=1200, completion_tokens=300))

    result = generate("welcome_email", STUDENT, requested_by="students.welcome", user=staff_user)

    [sent] = fake_openai.requests
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    body = sent["body"]
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0.7
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user_message = body["messages"][1]["content"]
    assert "Nombre del alumno: Lucía" in user_message
    assert "Plan contratado: Pro anual" in user_message
    assert "Temas que le interesan: LLMs, visión artificial" in user_message
    assert 'en Español (código de idioma "es")' in user_message
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "welcome_email",
            "schema": load_prompt("welcome_email").schema,
            "strict": True,
        },
    }
    assert result.data == WELCOME
    assert (result.offline, result.cached, result.provider) == (False, False, "openai")
    usage = result.usage
    assert (usage.tokens_in, usage.tokens_out, usage.attempts) == (1200, 300, 1)
    # gpt-4o-mini: 0.15 USD per million input tokens, 0.60 per million output tokens.
    assert usage.cost_usd == Decimal("0.000360")
    assert (usage.user, usage.status, usage.prompt_version) == (staff_user, "ok", "2")


def test_a_plain_text_prompt_sends_no_response_format(fake_openai):
    fake_openai.reply(chat_completion("El asistente funciona."))

    result = generate("smoke", {"topic": "RAG"}, language="en")

    body = fake_openai.requests[0]["body"]
    assert "response_format" not in body
    assert 'mencione el tema "RAG"' in body["messages"][1]["content"]
    assert 'en English (código "en")' in body["messages"][1]["content"]
    assert (result.text, result.data) == ("El asistente funciona.", None)


def test_the_same_prompt_and_input_is_answered_from_cache_without_a_call(fake_openai):
    fake_openai.reply(chat_completion(welcome_json()))

    first = generate("welcome_email", STUDENT, subject="students.student:1")
    second = generate("welcome_email", STUDENT, subject="students.student:1")

    assert len(fake_openai.requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.data == first.data
    assert (second.usage.cache_hit, second.usage.cost_usd, second.usage.tokens_in) == (True, 0, 0)
    assert AIUsage.objects.count() == 2


def test_a_different_input_is_not_served_from_cache(fake_openai):
    fake_openai.reply(chat_completion(welcome_json()), chat_completion(welcome_json()))

    generate("welcome_email", STUDENT)
    generate("welcome_email", {**STUDENT, "plan": "Básico"})

    assert len(fake_openai.requests) == 2


def test_a_rate_limit_is_retried_and_then_succeeds(fake_openai):
    fake_openai.reply(
        api_error(429, code="rate_limit_exceeded", message="Rate limit reached"),
        chat_completion("Funciona."),
    )

    result = generate("smoke", {})

    assert len(fake_openai.requests) == 2
    assert result.text == "Funciona."
    assert result.usage.attempts == 2


def test_a_timeout_is_retried(fake_openai, settings):
    settings.AI_TIMEOUT_SECONDS = 0.3
    fake_openai.reply(slow(chat_completion("tarde"), 1.0), chat_completion("a tiempo"))

    result = generate("smoke", {})

    assert result.text == "a tiempo"
    assert result.usage.attempts == 2


def test_insufficient_quota_is_not_retried_and_is_recorded(fake_openai):
    fake_openai.reply(
        api_error(429, code="insufficient_quota", message="You exceeded your current quota"),
        chat_completion("never sent"),
    )

    with pytest.raises(AIProviderError, match="insufficient_quota") as caught:
        generate("smoke", {}, requested_by="core.smoke")

    assert len(fake_openai.requests) == 1
    usage = caught.value.usage
    assert usage.status == AIUsage.Status.FAILED
    assert "insufficient_quota" in usage.error
    assert caught.value.permanent is True


def test_a_client_error_is_not_retried(fake_openai):
    fake_openai.reply(api_error(400, code="invalid_value", message="Bad messages"))

    with pytest.raises(AIProviderError, match="400"):
        generate("smoke", {})

    assert len(fake_openai.requests) == 1


def test_server_errors_open_the_circuit_and_later_calls_fail_fast(fake_openai, settings):
    settings.AI_BREAKER_FAILURES = 3
    fake_openai.reply(*[api_error(500, code=None, message="boom") for _ in range(3)])

    with pytest.raises(AIUnavailable) as first:
        generate("smoke", {})
    with pytest.raises(AIUnavailable) as second:
        generate("smoke", {"topic": "otra cosa"})

    assert len(fake_openai.requests) == 3  # the second call never reached the server
    assert first.value.permanent is False
    assert 0 < second.value.retry_after <= 61
    assert second.value.usage.status == AIUsage.Status.FAILED
    assert second.value.usage.attempts == 0


def test_after_the_cooldown_one_successful_probe_closes_the_circuit(
    fake_openai, settings, time_machine
):
    settings.AI_BREAKER_FAILURES = 3
    time_machine.move_to("2026-11-25 10:00:00+00:00", tick=False)
    fake_openai.reply(*[api_error(503, code=None) for _ in range(3)])
    with pytest.raises(AIUnavailable):
        generate("smoke", {})

    time_machine.move_to("2026-11-25 10:01:01+00:00", tick=False)
    fake_openai.reply(chat_completion("de vuelta"), chat_completion("otra vez"))

    assert generate("smoke", {}).text == "de vuelta"
    assert generate("smoke", {"topic": "x"}).text == "otra vez"


def test_invalid_json_is_repaired_with_one_more_call(fake_openai):
    fake_openai.reply(
        chat_completion('{"subject": "Hola"', prompt_tokens=100, completion_tokens=10),
        chat_completion(welcome_json(), prompt_tokens=150, completion_tokens=40),
    )

    result = generate("welcome_email", STUDENT)

    assert result.data == WELCOME
    repair = fake_openai.requests[1]["body"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"subject": "Hola"'}
    assert repair[-1]["role"] == "user"
    assert "no es JSON válido" in repair[-1]["content"]
    assert (result.usage.tokens_in, result.usage.tokens_out) == (250, 50)
    assert result.usage.attempts == 2


def test_output_missing_a_required_field_is_repaired_naming_the_field(fake_openai):
    fake_openai.reply(
        chat_completion(json.dumps({"subject": "Hola"})), chat_completion(welcome_json())
    )

    generate("welcome_email", STUDENT)

    assert (
        "'body_html' is a required property"
        in fake_openai.requests[1]["body"]["messages"][-1]["content"]
    )


def test_output_still_invalid_after_the_repair_raises_a_clear_error(fake_openai):
    fake_openai.reply(chat_completion("no json"), chat_completion(json.dumps({"subject": 3})))

    with pytest.raises(AIOutputInvalid, match="no cumple el esquema") as caught:
        generate("welcome_email", STUDENT)

    assert len(fake_openai.requests) == 2
    usage = caught.value.usage
    assert usage.status == AIUsage.Status.FAILED
    assert usage.tokens_in == 240  # the spend is recorded even when the answer is unusable
    assert usage.cost_usd > 0
    assert not AIUsage.objects.filter(status="ok").exists()


def test_a_caller_schema_overrides_the_prompt_schema(fake_openai):
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["sentence"],
        "properties": {"sentence": {"type": "string"}},
    }
    fake_openai.reply(chat_completion(json.dumps({"sentence": "Hola"})))

    result = generate("smoke", {}, schema=schema)

    assert fake_openai.requests[0]["body"]["response_format"]["json_schema"]["schema"] == schema
    assert result.data == {"sentence": "Hola"}


def test_spent_budget_falls_back_to_the_offline_provider(fake_openai):
    AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("5.0"))

    result = generate("welcome_email", STUDENT)

    assert fake_openai.requests == []
    assert result.offline is True
    assert result.usage.offline_reason == AIUsage.OfflineReason.BUDGET
    jsonschema.validate(result.data, load_prompt("welcome_email").schema)


def test_spent_budget_in_queue_mode_raises_and_records_why(fake_openai, settings, time_machine):
    settings.AI_OVER_BUDGET = "queue"
    time_machine.move_to("2026-11-25 23:00:00+00:00", tick=False)
    AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("6.0"))

    with pytest.raises(AIBudgetExceeded) as caught:
        generate("smoke", {}, requested_by="content.summary")

    assert fake_openai.requests == []
    assert caught.value.retry_after == 3601  # until midnight UTC
    assert caught.value.usage.status == AIUsage.Status.OVER_BUDGET
    assert caught.value.usage.requested_by == "content.summary"


def test_yesterdays_spend_does_not_count_against_today(fake_openai, time_machine):
    time_machine.move_to("2026-11-24 23:30:00+00:00", tick=False)
    AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("50"))
    time_machine.move_to("2026-11-25 00:10:00+00:00", tick=False)
    fake_openai.reply(chat_completion("hoy sí"))

    assert generate("smoke", {}).offline is False


@pytest.mark.parametrize(
    ("prompt_name", "context", "language", "message"),
    [
        ("nope", {}, "es", "Prompt desconocido"),
        ("../settings", {}, "es", "Nombre de prompt no válido"),
        ("welcome_email", {"name": "Ana"}, "es", "plan"),
        ("welcome_email", STUDENT, "it", "Idioma no admitido"),
        ("smoke", ["not", "a", "dict"], "es", "contexto dict"),
    ],
)
def test_bad_input_raises_a_clear_error_and_records_nothing(
    prompt_name, context, language, message
):
    with pytest.raises(PromptError, match=message):
        generate(prompt_name, context, language=language)

    assert not AIUsage.objects.exists()


def test_a_materials_language_outside_the_ui_languages_is_written_and_named_in_itself():
    """fr is no UI language but is a materials one: the prompt gets it and its own name."""
    context = build_context(load_prompt("welcome_email"), STUDENT, "fr")

    assert (context["language"], context["language_name"]) == ("fr", "français")
    assert generate("welcome_email", STUDENT, language="fr").offline is True


def test_an_offline_draft_that_does_not_fit_the_callers_schema_is_a_clear_error():
    schema = {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}}

    with pytest.raises(AIOutputInvalid, match="'title' is a required property"):
        generate("welcome_email", STUDENT, schema=schema)


def test_a_new_prompt_version_is_not_answered_from_the_old_versions_cache(
    fake_openai, settings, tmp_path
):
    folder = tmp_path / "prompts"
    folder.mkdir()
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    source = 'version = {v}\nuser = "Di hola"\n[offline.es]\ntext = "hola"\n'
    (folder / "hello.toml").write_text(source.format(v=1))
    fake_openai.reply(chat_completion("hola v1"), chat_completion("hola v2"))
    assert generate("hello", {}).text == "hola v1"

    (folder / "hello.toml").write_text(source.format(v=2))
    result = generate("hello", {})

    assert (result.text, result.cached, result.usage.prompt_version) == ("hola v2", False, "2")


def test_a_long_retry_after_is_handed_to_the_caller_instead_of_sleeping(fake_openai):
    fake_openai.reply(
        api_error(429, code="rate_limit_exceeded", headers={"retry-after": "120"}),
        chat_completion("never sent"),
    )

    with pytest.raises(AIUnavailable) as caught:
        generate("smoke", {})

    assert len(fake_openai.requests) == 1
    assert caught.value.retry_after == 121


def test_a_compatible_server_without_an_api_key_gets_a_placeholder_key(fake_openai, settings):
    settings.OPENAI_API_KEY = ""  # Ollama or vLLM behind OPENAI_BASE_URL
    fake_openai.reply(chat_completion("hola desde Ollama"))

    assert generate("smoke", {}).text == "hola desde Ollama"
    assert fake_openai.requests[0]["headers"]["Authorization"] == "Bearer not-needed"


def test_openai_without_key_or_base_url_is_a_permanent_error(settings):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None

    with pytest.raises(AIProviderError, match="Falta OPENAI_API_KEY") as caught:
        generate("smoke", {})

    assert caught.value.usage.status == AIUsage.Status.FAILED
