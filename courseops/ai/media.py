"""Audio from a recording (a lesson video, a webinar's MP4 or M4A) with the ffmpeg binary
shipped by imageio-ffmpeg.

Audio is 16 kHz mono MP3 at 32 kbit/s (what speech needs; about 14 MB an hour). Silent
stretches (pauses longer than `AI_SILENCE_MIN_SECONDS`) are found with ffmpeg's
`silencedetect` and never sent to transcription (Whisper invents text on silence);
speech longer than `AI_AUDIO_PART_MAX_BYTES` allows is cut in fixed windows that overlap
by `AI_AUDIO_OVERLAP_SECONDS`, so no word is lost at a cut.
"""

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings

from courseops.ai.errors import AIError

AUDIO_BITRATE = 32_000  # bits per second
AUDIO_ARGS = ["-vn", "-ac", "1", "-ar", "16000", "-c:a", "libmp3lame", "-b:a", "32k"]
# Parts are cut a little under the byte limit: MP3 frames and headers add a few percent.
SIZE_MARGIN = 0.9
_SILENCE = re.compile(r"silence_(start|end): (-?[\d.]+)")
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
TIMEOUT_SECONDS = 3 * 3600


class MediaError(AIError):
    """ffmpeg could not read or write a file; retrying the same file will not help."""


@dataclass(frozen=True)
class Part:
    start: float
    end: float

    @property
    def duration(self):
        return round(self.end - self.start, 3)

    @property
    def key(self):
        """Names the part in a checkpoint: the same file and settings cut the same parts."""
        return f"{self.start:.3f}-{self.end:.3f}"


def ffmpeg_exe():
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args, *, timeout=TIMEOUT_SECONDS):
    try:
        completed = subprocess.run(  # noqa: S603  (fixed binary, arguments are ours)
            [ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg tardó más de {timeout} s") from exc
    stderr = completed.stderr.decode("utf-8", errors="replace")
    if completed.returncode != 0:
        raise MediaError(f"ffmpeg falló: {stderr.strip().splitlines()[-1:] or '?'}")
    return stderr


def extract_audio(source, target):
    """Write `source`'s audio track to `target` as 16 kHz mono MP3; returns its duration."""
    stderr = run_ffmpeg(["-y", "-i", str(source), *AUDIO_ARGS, str(target)])
    return probe_duration(target) if Path(target).exists() else _duration(stderr)


def probe_duration(path):
    stderr = run_ffmpeg(["-i", str(path), "-f", "null", "-"])
    return _duration(stderr)


def _duration(stderr):
    match = _DURATION.search(stderr)
    if not match:
        raise MediaError("ffmpeg no encontró la duración del archivo")
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def silences(path, *, noise_db=None, min_seconds=None):
    """[(start, end)] of the silent stretches of an audio file."""
    noise_db = settings.AI_SILENCE_DB if noise_db is None else noise_db
    min_seconds = settings.AI_SILENCE_MIN_SECONDS if min_seconds is None else min_seconds
    stderr = run_ffmpeg(
        [
            "-i",
            str(path),
            "-af",
            f"silencedetect=noise={noise_db}dB:d={min_seconds}",
            "-f",
            "null",
            "-",
        ]
    )
    found, start = [], None
    for kind, value in _SILENCE.findall(stderr):
        if kind == "start":
            start = max(0.0, float(value))
        elif start is not None:
            found.append((start, float(value)))
            start = None
    if start is not None:  # silent until the end
        found.append((start, _duration(stderr)))
    return found


def speech_parts(duration, silent, *, max_seconds, overlap):
    """Cut [0, duration] into parts to transcribe: the stretches between silences, each
    cut further into windows of at most `max_seconds` that overlap by `overlap`."""
    speech, cursor = [], 0.0
    for start, end in sorted(silent):
        if start > cursor:
            speech.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < duration:
        speech.append((cursor, duration))
    parts = []
    step = max(1.0, max_seconds - overlap)
    for start, end in speech:
        if end - start < 0.3:  # a click between silences: nothing to say
            continue
        window = start
        while True:
            parts.append(Part(round(window, 3), round(min(end, window + max_seconds), 3)))
            if window + max_seconds >= end:
                break
            window += step
    return parts


def max_part_seconds(max_bytes):
    return max(10.0, max_bytes * 8 / AUDIO_BITRATE * SIZE_MARGIN)


def plan_parts(audio, duration):
    """([Part], [(start, end)] silences) of an extracted audio file, cut with the
    configured part size and overlap."""
    silent = silences(audio)
    parts = speech_parts(
        duration,
        silent,
        max_seconds=max_part_seconds(settings.AI_AUDIO_PART_MAX_BYTES),
        overlap=settings.AI_AUDIO_OVERLAP_SECONDS,
    )
    return parts, silent


def cut(source, target, part):
    """Write `part` of `source` to `target` (re-encoded, so the cut is exact)."""
    run_ffmpeg(
        [
            "-y",
            "-ss",
            f"{part.start:.3f}",
            "-t",
            f"{part.duration:.3f}",
            "-i",
            str(source),
            *AUDIO_ARGS,
            str(target),
        ]
    )
    return target


@contextlib.contextmanager
def local_copy(field_file, suffix=""):
    """A local path for a stored file: its own path on the filesystem storage, else a
    temporary copy streamed in chunks (S3 and the like), removed afterwards."""
    try:
        path = field_file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    handle, path = tempfile.mkstemp(suffix=suffix or Path(field_file.name).suffix)
    try:
        with os.fdopen(handle, "wb") as out, field_file.open("rb") as src:
            shutil.copyfileobj(src, out, length=1024 * 1024)
        yield path
    finally:
        os.unlink(path)
