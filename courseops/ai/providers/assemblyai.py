"""AssemblyAI as the transcription provider (`AI_TRANSCRIPTION_PROVIDER=assemblyai`), through
its official SDK.

AssemblyAI works in the background: upload the audio, submit a transcript, poll until it
is done. Submitting is what bills, so a transcript submitted for some audio is remembered
in the database (`SubmittedTranscript`, by the audio's sha256) and a retry after a failed
poll, in this gateway call or a later one (a poll that timed out, a worker that died),
waits for that same transcript instead of paying for a second one. Segments are AssemblyAI's
sentences (milliseconds, turned into seconds).
"""

import contextlib
import hashlib

import assemblyai as aai
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from courseops.ai.models import SubmittedTranscript
from courseops.ai.providers import Provider, ProviderError, Transcription

# AssemblyAI answers 429 when over its concurrency and 5xx when it is struggling.
TRANSIENT_STATUSES = {408, 429}
LEDGER_PREFIX = "assemblyai-"


@contextlib.contextmanager
def vendor_errors():
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderError(_("AssemblyAI tarda demasiado en responder."), permanent=False) from exc
    except httpx.TransportError as exc:
        raise ProviderError(
            _("No se pudo conectar con AssemblyAI: %(e)s") % {"e": exc}, permanent=False
        ) from exc
    except aai.types.TranscriptError as exc:
        status = exc.status_code if isinstance(exc.status_code, int) else None
        permanent = status is not None and status < 500 and status not in TRANSIENT_STATUSES
        raise ProviderError(
            _("AssemblyAI no pudo transcribir: %(e)s") % {"e": str(exc).strip()},
            permanent=permanent,
        ) from exc


def _digest(file):
    file.seek(0)
    digest = hashlib.file_digest(file, "sha256").hexdigest()
    file.seek(0)
    return digest


class AssemblyAIProvider(Provider):
    name = "assemblyai"
    label = "AssemblyAI"

    def transcription_model(self):
        """The name the ledger records and AI_PRICES prices (AssemblyAI's model, prefixed)."""
        return LEDGER_PREFIX + settings.ASSEMBLYAI_SPEECH_MODEL

    def complete(self, request):
        raise ProviderError(_("AssemblyAI solo transcribe audio."), permanent=True)

    def _client(self, timeout):
        if not settings.ASSEMBLYAI_API_KEY:
            raise ProviderError(_("Falta ASSEMBLYAI_API_KEY."), permanent=True)
        return aai.Client(
            settings=aai.Settings(
                api_key=settings.ASSEMBLYAI_API_KEY,
                base_url=settings.ASSEMBLYAI_BASE_URL,
                http_timeout=timeout,
                polling_interval=settings.ASSEMBLYAI_POLL_SECONDS,
            )
        )

    def transcribe(self, *, file, filename, language, model, timeout):
        client = self._client(timeout)
        submitted = {
            "provider": self.name,
            "digest": _digest(file),
            "model": model,
            "language": language or "",
        }
        try:
            return self._transcribe(client, file, submitted)
        except ProviderError as exc:
            if exc.permanent:  # refused for good (or gone there): a new try submits anew
                SubmittedTranscript.objects.filter(**submitted).delete()
            raise

    def _transcribe(self, client, file, submitted):
        with vendor_errors():
            transcript_id = (
                SubmittedTranscript.objects.filter(**submitted)
                .values_list("transcript_id", flat=True)
                .first()
            )
            if transcript_id is None:
                config = aai.TranscriptionConfig(
                    language_code=submitted["language"] or None,
                    speech_models=[submitted["model"].removeprefix(LEDGER_PREFIX)],
                    punctuate=True,
                    format_text=True,
                )
                transcript = aai.Transcriber(client=client, config=config).submit(file)
                transcript_id = transcript.id
                SubmittedTranscript.objects.get_or_create(
                    **submitted, defaults={"transcript_id": transcript_id}
                )
            transcript = aai.Transcript(transcript_id, client=client)
            transcript.wait_for_completion(poll_timeout=settings.ASSEMBLYAI_MAX_WAIT_SECONDS)
            if transcript.status == aai.TranscriptStatus.error:
                # The audio itself was refused (no speech, unreadable file): not worth a retry.
                raise ProviderError(
                    _("AssemblyAI no pudo transcribir: %(e)s") % {"e": transcript.error},
                    permanent=True,
                )
            sentences = transcript.get_sentences() if transcript.text else []
        segments = [
            {"start": s.start / 1000, "end": s.end / 1000, "text": s.text.strip()}
            for s in sentences
        ]
        duration = float(transcript.audio_duration or 0) or (
            segments[-1]["end"] if segments else 0.0
        )
        return Transcription(
            text=(transcript.text or "").strip(), segments=segments, duration_seconds=duration
        )
