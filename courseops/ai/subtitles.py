"""Parse WebVTT and SRT subtitles (Zoom and YouTube transcripts) into timed segments."""

import re

from django.utils.translation import gettext as _

from courseops.ai.errors import PromptError

SUBTITLE_EXTENSIONS = (".vtt", ".srt")
_TIMING = re.compile(
    r"(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_TAG = re.compile(r"<[^>]+>")


def is_subtitle_file(filename, head):
    """True for a .vtt/.srt name, or content that opens like WebVTT or an SRT cue."""
    if str(filename).lower().endswith(SUBTITLE_EXTENSIONS):
        return True
    start = head[:200].decode("utf-8-sig", errors="ignore").lstrip()
    return start.startswith("WEBVTT") or bool(re.match(r"\d+\s*\r?\n" + _TIMING.pattern, start))


def _seconds(stamp):
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    for position, value in enumerate(reversed(parts[:-1]), start=1):
        seconds += int(value) * 60**position
    return round(seconds, 3)


def parse(text):
    """[{start, end, text}] in file order; cues without text are skipped."""
    segments = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            match = _TIMING.search(line)
            if match:
                words = " ".join(_TAG.sub("", cue).strip() for cue in lines[index + 1 :])
                if words.strip():
                    segments.append(
                        {
                            "start": _seconds(match["start"]),
                            "end": _seconds(match["end"]),
                            "text": " ".join(words.split()),
                        }
                    )
                break
    if not segments:
        raise PromptError(_("El archivo de subtítulos no contiene ningún segmento con texto."))
    return segments
