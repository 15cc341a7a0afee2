"""System checks: a broken prompt file or an unpriced paid model fails at deploy, not mid-task."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from courseops.ai.errors import PromptError
from courseops.ai.prompts import load_prompt, prompt_dirs
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
    # Without a base URL the calls go to OpenAI, which bills: the budget needs a price.
    if settings.AI_PROVIDER == "openai" and not settings.OPENAI_BASE_URL:
        for model, unit in (
            (settings.AI_MODEL, "input"),
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
def prompt_files(app_configs, **kwargs):
    problems = []
    for folder in prompt_dirs():
        for path in sorted(folder.glob("*.toml")):
            try:
                load_prompt(path.stem)
            except PromptError as exc:
                problems.append(Error(str(exc), obj=str(path), id="ai.E002"))
    return problems
