"""Media files for tests and benchmarks, generated with the same ffmpeg the app uses."""

from courseops.ai.media import run_ffmpeg


def synthetic_video(path, pattern, *, picture=True):
    """A small video from ffmpeg's lavfi sources, for tests and benchmarks: `pattern` is
    [("tone" | "silence", seconds)] for the audio track; the picture is a plain colour.
    Without `picture`, an audio-only file (AAC; name it .m4a, like Zoom's audio file)."""
    inputs, labels = [], []
    for index, (kind, seconds) in enumerate(pattern):
        source = (
            f"sine=frequency=440:sample_rate=16000:duration={seconds}"
            if kind == "tone"
            else f"anullsrc=r=16000:cl=mono:d={seconds}"
        )
        inputs += ["-f", "lavfi", "-i", source]
        labels.append(f"[{index}:a]")
    audio = "".join(labels) + f"concat=n={len(pattern)}:v=0:a=1[a]"
    video = []
    if picture:
        total = sum(seconds for _kind, seconds in pattern)
        inputs += ["-f", "lavfi", "-i", f"color=c=blue:s=64x48:r=5:d={total}"]
        video = ["-map", f"{len(pattern)}:v", "-c:v", "libx264", "-preset", "ultrafast"]
    run_ffmpeg(
        ["-y", *inputs, "-filter_complex", audio, *video, "-map", "[a]", "-c:a", "aac"]
        + ["-shortest", str(path)]
    )
    return path
