"""AI providers: small classes in a registry, imported on first use.

A provider answers one attempt at a time and raises `ProviderError(permanent=...)`; the
gateway owns retries, the circuit breaker, the budget, caching and the usage ledger.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

PROVIDERS = {
    "offline": "courseops.ai.providers.offline.OfflineProvider",
    "openai": "courseops.ai.providers.openai_compatible.OpenAIProvider",
    # Transcription only (AI_TRANSCRIPTION_PROVIDER); drafts stay with AI_PROVIDER.
    "assemblyai": "courseops.ai.providers.assemblyai.AssemblyAIProvider",
    # Not a choice for AI_PROVIDER: the gateway turns to it while the primary is down.
    "fallback": "courseops.ai.providers.openai_compatible.FallbackProvider",
}


class ProviderError(Exception):
    """One failed attempt. `permanent` says whether trying again can help."""

    def __init__(self, message, *, permanent, retry_after=None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    messages: list
    timeout: float
    schema: dict | None = None
    temperature: float | None = None
    # What the offline provider drafts from; remote providers only read the messages.
    prompt: object = None
    context: dict = field(default_factory=dict)
    language: str = "es"


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    # Of tokens_in, those the provider read from its prompt cache (billed at a lower price).
    tokens_cached: int = 0


@dataclass(frozen=True)
class Transcription:
    text: str
    segments: list  # [{"start": float, "end": float, "text": str}]
    duration_seconds: float


class Provider:
    name = ""
    label = ""
    offline = False

    def complete(self, request):
        raise NotImplementedError

    def transcribe(self, *, file, filename, language, model, timeout):
        raise NotImplementedError

    def transcription_model(self):
        """The model the ledger records for a transcription (and AI_PRICES prices)."""
        return settings.AI_TRANSCRIPTION_MODEL


def get_provider(name):
    try:
        path = PROVIDERS[name]
    except KeyError:
        raise ProviderError(
            _("Proveedor de IA desconocido %(name)r: usa uno de %(names)s.")
            % {"name": name, "names": ", ".join(PROVIDERS)},
            permanent=True,
        ) from None
    return import_string(path)()
