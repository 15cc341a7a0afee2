import contextlib
import json

from django.utils.translation import gettext_lazy as _

from courseops.ai import subtitles
from courseops.ai.providers import Completion, Provider, ProviderError, Transcription


def cannot_hear_audio():
    """Why a video or audio was not transcribed under the offline provider, and what to do."""
    return _(
        "La IA sin conexión no escucha audio ni vídeo, solo lee subtítulos VTT o SRT. Sube "
        "los subtítulos de la sesión (en la carpeta vigilada, con el mismo nombre que el "
        "vídeo: clase.mp4 y clase.vtt) y reanuda, o pide a quien administra el sistema "
        "que configure un modelo de transcripción."
    )


class OfflineProvider(Provider):
    """No network: fills the prompt's plain offline draft with the caller's context.

    Drafts read as real, if plain, text; the gateway marks them offline so staff know.
    Transcription accepts subtitle files (VTT/SRT) only, parsed into segments.
    """

    name = "offline"
    label = _("Sin conexión (plantillas)")
    offline = True

    def complete(self, request):
        fields = request.prompt.render_offline(request.context, request.language)
        if request.schema:
            fields = _typed(fields, request.schema)
            return Completion(text=json.dumps(fields, ensure_ascii=False))
        return Completion(text=fields["text"])

    def transcribe(self, *, file, filename, language, model, timeout):
        raw = file.read()
        if not subtitles.is_subtitle_file(filename, raw[:200]):
            # Staff read this on the lesson or the recording: what to do, not which
            # internal part file (part-001.mp3) the pipeline was on.
            raise ProviderError(cannot_hear_audio(), permanent=True)
        segments = subtitles.parse(raw.decode("utf-8-sig", errors="replace"))
        return Transcription(
            text=" ".join(segment["text"] for segment in segments),
            segments=segments,
            duration_seconds=segments[-1]["end"] if segments else 0.0,
        )


def _typed(fields, schema):
    """A template renders text: a field the schema wants as a list, object, number or
    boolean is written as JSON in the offline draft and read back here."""
    properties = schema.get("properties", {})
    typed = {}
    for key, value in fields.items():
        if properties.get(key, {}).get("type", "string") != "string":
            # Left as text if it is not JSON: the gateway reports the draft does not fit.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        typed[key] = value
    return typed
