"""Transcribing recordings longer than one upload allows (lesson videos, webinars).

`transcribe_media` takes a video or audio file, extracts its speech (`courseops.ai.media`),
sends each part to `transcribe` and joins the parts on one timeline
(`courseops.ai.transcripts.join_parts`). A caller that keeps what `on_part` hands it, and
passes it back as `done` on the next attempt, never sends (nor pays for) a finished part
twice. `transcribe_parts` is the same loop for parts the caller cut and stored itself.
"""

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from courseops.ai import media, transcripts
from courseops.ai.errors import PromptError
from courseops.ai.gateway import audio_transcription_available, transcribe
from courseops.ai.providers.offline import cannot_hear_audio


@dataclass(frozen=True)
class MediaTranscript:
    segments: list  # [{"start": float, "end": float, "text": str}] on the recording's clock
    duration_seconds: float
    silent_seconds: float
    parts: int
    offline = False  # audio is only ever heard by a real transcription model

    @property
    def text(self):
        return transcripts.plain_text(self.segments)


def transcribe_parts(parts, open_part, *, language, requested_by, done=None, on_part=None):
    """Joined segments of `parts` [(key, start seconds)]; `open_part(key)` gives a context
    manager yielding the part's audio (a path or a binary file).

    Parts in `done` ({key: segments}) are not sent; `on_part(key, result)` is called with
    each part's `TranscriptionResult` as soon as it is transcribed.
    """
    done = dict(done or {})
    for key, _start in parts:
        if key in done:
            continue
        with open_part(key) as audio:
            result = transcribe(audio, language=language, requested_by=requested_by)
        done[key] = result.segments
        if on_part is not None:
            on_part(key, result)
    return transcripts.join_parts([(start, done[key]) for key, start in parts])


def transcribe_media(source, *, language, requested_by, done=None, on_part=None):
    """A `MediaTranscript` of a video or audio file (a path), silence left out and long
    speech split under the upload limit; `done`/`on_part` as in `transcribe_parts`, keyed
    by each part's `media.Part.key`. Raises `media.MediaError` for a file ffmpeg cannot
    read and `PromptError` when the configured provider cannot hear audio."""
    if not audio_transcription_available():
        raise PromptError(cannot_hear_audio())
    with tempfile.TemporaryDirectory() as folder:
        audio = Path(folder) / "audio.mp3"
        duration = media.extract_audio(source, audio)
        planned, silent = media.plan_parts(audio, duration)
        if not planned:
            raise PromptError(_("La grabación no tiene partes con voz que transcribir."))
        by_key = {part.key: (number, part) for number, part in enumerate(planned, start=1)}

        @contextlib.contextmanager
        def cut_part(key):
            number, part = by_key[key]
            yield media.cut(audio, Path(folder) / f"part-{number:03d}.mp3", part)

        segments = transcribe_parts(
            [(part.key, part.start) for part in planned],
            cut_part,
            language=language,
            requested_by=requested_by,
            done=done,
            on_part=on_part,
        )
    return MediaTranscript(
        segments=segments,
        duration_seconds=round(duration, 2),
        silent_seconds=round(sum(end - start for start, end in silent), 1),
        parts=len(planned),
    )
