"""System checks: a broken prompt file or an unpriced paid model fails at deploy, not mid-task."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from courseops.ai.errors import PromptError
from courseops.ai.prompts import load_prompt, prompt_files
from courseops.ai.providers import PROVIDERS


@register()
def ai_settings(app_configs, **kwargs):
    problems = []
    if settings.AI_PROVIDER not in PROVIDERS:
        problems.append(
            Error(
                f"AI_PROVIDER is {settings.AI_PROVIDER!r}; use one of {', '.join(PROVIDERS)}.",
                id="ai.E001",
            )
        )
    if settings.AI_PROVIDER == "fallback":
        problems.append(
            Error(
                "AI_PROVIDER cannot be 'fallback': set AI_FALLBACK_BASE_URL instead.",
                id="ai.E003",
            )
        )
    if settings.AI_PROVIDER == "assemblyai":
        problems.append(
            Error(
                "AI_PROVIDER cannot be 'assemblyai' (it only transcribes): "
                "set AI_TRANSCRIPTION_PROVIDER=assemblyai instead.",
                id="ai.E004",
            )
        )
    if settings.AI_TRANSCRIPTION_PROVIDER not in {"", "openai", "assemblyai", "offline"}:
        problems.append(
            Error(
                f"AI_TRANSCRIPTION_PROVIDER is {settings.AI_TRANSCRIPTION_PROVIDER!r}; use "
                "'assemblyai', 'openai', 'offline' or leave it empty (same as AI_PROVIDER).",
                id="ai.E005",
            )
        )
    if settings.AI_TRANSCRIPTION_PROVIDER == "assemblyai" and not settings.ASSEMBLYAI_API_KEY:
        problems.append(
            Error("AI_TRANSCRIPTION_PROVIDER=assemblyai needs ASSEMBLYAI_API_KEY.", id="ai.E006")
        )
    # Without a base URL the calls go to OpenAI, which bills: the budget needs a price.
    if settings.AI_PROVIDER == "openai" and not settings.OPENAI_BASE_URL:
        models = {settings.AI_MODEL, *filter(None, settings.AI_MODELS.values())}
        for model, unit in (
            *((model, "input") for model in sorted(models)),
            (settings.AI_TRANSCRIPTION_MODEL, "per_minute"),
        ):
            if unit not in settings.AI_PRICES.get(model, {}):
                problems.append(
                    Warning(
                        f"No price for {model!r} in AI_PRICES: its spend will not count "
                        "against AI_DAILY_BUDGET_USD.",
                        id="ai.W001",
                    )
                )
    return problems


@register()
def prompt_file_checks(app_configs, **kwargs):
    problems = []
    for path, name, version in prompt_files():
        try:
            load_prompt(name, version=version)
        except PromptError as exc:
            problems.append(Error(str(exc), obj=path, id="ai.E002"))
    return problems
