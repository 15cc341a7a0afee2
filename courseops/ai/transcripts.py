"""Transcript segments ({start, end, text} in seconds), whatever recording they come from:
joining the parts of a split recording, exporting VTT/SRT for a video player, and cutting
text for the AI. Parsing VTT/SRT is `courseops.ai.subtitles`."""


def stamp(seconds):
    """hh:mm:ss (or mm:ss under an hour), how students and the PDF see a time."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _normalized(text):
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def join_parts(parts):
    """Join transcribed parts [(offset, segments)] into one timeline.

    Each part's times are shifted by its offset. Where two parts overlap, the later part's
    segments that start inside what is already covered are dropped, unless their text is
    new (a segment cut by the window edge is kept from whichever part heard it whole).
    """
    joined = []
    for offset, segments in sorted(parts, key=lambda item: item[0]):
        covered_until = joined[-1]["end"] if joined else 0.0
        recent = {_normalized(s["text"]) for s in joined[-8:]}
        for segment in segments:
            start = round(segment["start"] + offset, 3)
            end = round(segment["end"] + offset, 3)
            text = " ".join(segment["text"].split())
            if not text:
                continue
            if start < covered_until - 0.25 and (
                end <= covered_until + 0.25 or _normalized(text) in recent
            ):
                continue  # heard already at the end of the previous part
            if joined and _normalized(text) == _normalized(joined[-1]["text"]):
                continue
            joined.append({"start": start, "end": end, "text": text})
    return joined


def plain_text(segments):
    return " ".join(segment["text"] for segment in segments)


def timed_lines(segments):
    """ "[mm:ss] text" lines: what the model reads, so it can cite when something was said."""
    return "\n".join(f"[{stamp(s['start'])}] {s['text']}" for s in segments)


def chunks(segments, max_chars):
    """Consecutive groups of segments whose timed text fits `max_chars` each."""
    groups, current, size = [], [], 0
    for segment in segments:
        length = len(segment["text"]) + 12
        if current and size + length > max_chars:
            groups.append(current)
            current, size = [], 0
        current.append(segment)
        size += length
    if current:
        groups.append(current)
    return groups


def _cue_time(seconds, separator):
    millis = round(float(seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_vtt(segments):
    cues = [
        f"{_cue_time(s['start'], '.')} --> {_cue_time(s['end'], '.')}\n{s['text']}"
        for s in segments
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def to_srt(segments):
    cues = [
        f"{number}\n{_cue_time(s['start'], ',')} --> {_cue_time(s['end'], ',')}\n{s['text']}"
        for number, s in enumerate(segments, start=1)
    ]
    return "\n\n".join(cues) + "\n"


# Format name -> (render, content type), for the player and downloads.
EXPORTS = {
    "vtt": (to_vtt, "text/vtt; charset=utf-8"),
    "srt": (to_srt, "application/x-subrip; charset=utf-8"),
}


def duration(segments):
    return max((s["end"] for s in segments), default=0.0)


def nearest_segment(segments, seconds):
    """The segment being said at `seconds` (or the closest one). A cue covers
    [start, end): where cues touch (one ends at 9.42 where the next starts), 9.42 belongs
    to the cue starting then; of overlapping cues, the one started last."""
    if not segments:
        return None
    saying = [s for s in segments if s["start"] <= seconds < s["end"]]
    if saying:
        return max(saying, key=lambda s: s["start"])
    return min(
        segments,
        key=lambda s: (min(abs(s["start"] - seconds), abs(s["end"] - seconds)), -s["start"]),
    )
