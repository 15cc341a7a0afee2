"""OpenAI, or any OpenAI-compatible server (Ollama, vLLM) through `OPENAI_BASE_URL`.

The SDK's own retries are off (`max_retries=0`): the gateway retries, so one policy
decides what is worth another (billed) attempt. OpenAI sends no idempotency key.
"""

import contextlib
import functools

import openai
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseops.ai.providers import Completion, Provider, ProviderError, Transcription

# 408 and 409 are what the SDK itself treats as worth retrying among the 4xx.
TRANSIENT_STATUSES = {408, 409, 429}
# Servers without an API key (Ollama, vLLM) still need a non-empty one for the SDK.
PLACEHOLDER_KEY = "not-needed"


@functools.lru_cache(maxsize=8)
def _client(api_key, base_url):
    """One client (and connection pool) per configuration, reused across calls."""
    return openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)


def client():
    if not settings.OPENAI_API_KEY and not settings.OPENAI_BASE_URL:
        raise ProviderError(
            _("Falta OPENAI_API_KEY (u OPENAI_BASE_URL para un servidor compatible)."),
            permanent=True,
        )
    return _client(settings.OPENAI_API_KEY or PLACEHOLDER_KEY, settings.OPENAI_BASE_URL)


def _retry_after(response):
    headers = response.headers if response is not None else {}
    try:
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        if "retry-after" in headers:
            return float(headers["retry-after"])
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
    return None


@contextlib.contextmanager
def vendor_errors():
    """Turn the SDK's exceptions into ProviderError saying whether a retry can help."""
    try:
        yield
    except openai.APITimeoutError as exc:
        raise ProviderError(
            _("Tiempo de espera agotado con el proveedor de IA."), permanent=False
        ) from exc
    except openai.APIConnectionError as exc:
        raise ProviderError(
            _("No se pudo conectar con el proveedor de IA: %(error)s") % {"error": exc},
            permanent=False,
        ) from exc
    except openai.APIStatusError as exc:
        status = exc.status_code
        if getattr(exc, "code", None) == "insufficient_quota":
            raise ProviderError(
                _("La cuenta del proveedor de IA no tiene saldo (insufficient_quota)."),
                permanent=True,
            ) from exc
        transient = status in TRANSIENT_STATUSES or status >= 500
        raise ProviderError(
            _("El proveedor de IA respondió %(status)s: %(message)s")
            % {"status": status, "message": exc.message},
            permanent=not transient,
            retry_after=_retry_after(exc.response) if transient else None,
        ) from exc
    except openai.OpenAIError as exc:
        raise ProviderError(
            _("Error del proveedor de IA: %(error)s") % {"error": exc}, permanent=True
        ) from exc


class OpenAIProvider(Provider):
    name = "openai"
    label = gettext_lazy("OpenAI o servidor compatible")

    def client(self):
        return client()

    def complete(self, request):
        kwargs = {"model": request.model, "messages": request.messages, "timeout": request.timeout}
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.schema:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.prompt.name if request.prompt else "output",
                    "schema": request.schema,
                    "strict": True,
                },
            }
        with vendor_errors():
            response = self.client().chat.completions.create(**kwargs)
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise ProviderError(
                _("El modelo se negó a responder: %(refusal)s") % {"refusal": message.refusal},
                permanent=True,
            )
        usage = response.usage
        details = getattr(usage, "prompt_tokens_details", None)
        return Completion(
            text=message.content or "",
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
            tokens_cached=(getattr(details, "cached_tokens", None) or 0) if details else 0,
        )

    def transcribe(self, *, file, filename, language, model, timeout):
        with vendor_errors():
            result = self.client().audio.transcriptions.create(
                model=model,
                file=(filename, file),
                language=language,
                response_format="verbose_json",
                timestamp_granularities=["segment"],
                timeout=timeout,
            )
        segments = [
            {"start": float(s.start), "end": float(s.end), "text": s.text.strip()}
            for s in result.segments or []
        ]
        duration = result.duration or (segments[-1]["end"] if segments else 0.0)
        return Transcription(text=result.text.strip(), segments=segments, duration_seconds=duration)


class FallbackProvider(OpenAIProvider):
    """The second OpenAI-compatible endpoint (`AI_FALLBACK_BASE_URL`, e.g. a local
    Ollama), called only while the primary provider's circuit is open."""

    name = "fallback"
    label = gettext_lazy("Proveedor de reserva (compatible con OpenAI)")

    def client(self):
        if not settings.AI_FALLBACK_BASE_URL:
            raise ProviderError(_("Falta AI_FALLBACK_BASE_URL."), permanent=True)
        return _client(
            settings.AI_FALLBACK_API_KEY or PLACEHOLDER_KEY, settings.AI_FALLBACK_BASE_URL
        )
