"""Transcript segments of any recording: exports for a player and joining split parts."""

from courseops.ai import transcripts

SEGMENTS = [
    {"start": 0.0, "end": 2.5, "text": "Hola, ¿qué tal?"},
    {"start": 3661.25, "end": 3663.0, "text": "Una hora después"},
]


def test_transcripts_export_as_vtt_and_srt_for_the_player():
    assert transcripts.to_vtt(SEGMENTS) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHola, ¿qué tal?\n\n"
        "01:01:01.250 --> 01:01:03.000\nUna hora después\n"
    )
    assert transcripts.to_srt(SEGMENTS).startswith(
        "1\n00:00:00,000 --> 00:00:02,500\nHola, ¿qué tal?\n\n2\n01:01:01,250 --> "
    )
    assert transcripts.stamp(3661.25) == "1:01:01"


def test_joining_parts_shifts_times_and_drops_what_the_overlap_repeats():
    joined = transcripts.join_parts(
        [
            (100.0, [{"start": 0, "end": 4, "text": "Uno"}, {"start": 4, "end": 9, "text": "Dos"}]),
            # This part starts 2 s before the previous one ended.
            (
                107.0,
                [{"start": 0, "end": 2, "text": "dos"}, {"start": 2, "end": 6, "text": "Tres"}],
            ),
        ]
    )
    assert joined == [
        {"start": 100.0, "end": 104.0, "text": "Uno"},
        {"start": 104.0, "end": 109.0, "text": "Dos"},
        {"start": 109.0, "end": 113.0, "text": "Tres"},
    ]
