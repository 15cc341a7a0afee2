import contextlib
import json

from django.utils.translation import gettext_lazy as _

from courseops.ai import subtitles
from courseops.ai.providers import Completion, Provider, ProviderError, Transcription


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
            raise ProviderError(
                _(
                    "El proveedor sin conexión solo transcribe subtítulos VTT o SRT existentes; "
                    "%(name)s no lo es."
                )
                % {"name": filename},
                permanent=True,
            )
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
