import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from werkzeug import Response

from courseops.ai import AIBudgetExceeded, AIUnavailable, PromptError, transcribe
from courseops.ai.models import AIUsage
from tests.ai.conftest import api_error

pytestmark = pytest.mark.django_db

VTT = """WEBVTT

NOTE Zoom transcript

1
00:00:01.000 --> 00:00:04.500
<v Ana>Hola a todos, bienvenidos.</v>

2
00:00:05.000 --> 00:01:02.250 align:start
Hoy hablamos de <b>RAG</b>
y de embeddings.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Primera línea

2
01:00:00,500 --> 01:00:02,000
Segunda línea
"""


def whisper_response(duration=125.5):
    segments = [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": 4.2,
            "text": " Hola a todos.",
            "tokens": [1],
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.01,
        },
        {
            "id": 1,
            "seek": 0,
            "start": 4.2,
            "end": 9.8,
            "text": " Hoy hablamos de RAG.",
            "tokens": [2],
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.01,
        },
    ]
    body = {
        "task": "transcribe",
        "language": "spanish",
        "duration": duration,
        "text": " Hola a todos. Hoy hablamos de RAG.",
        "segments": segments,
    }
    return Response(json.dumps(body), status=200, content_type="application/json")


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "clase-3.mp3"
    path.write_bytes(b"ID3\x03\x00" + b"\x00" * 2048)
    return path


def test_audio_goes_to_whisper_with_verbose_segments_and_is_priced_per_minute(fake_openai, audio):
    fake_openai.reply(whisper_response(duration=125.5))

    result = transcribe(audio, language="es", requested_by="content.transcript")

    [sent] = fake_openai.requests
    assert sent["path"] == "/v1/audio/transcriptions"
    form = sent["body"]["form"]
    assert form["model"] == ["whisper-1"]
    assert form["response_format"] == ["verbose_json"]
    assert form["language"] == ["es"]
    assert form["timestamp_granularities[]"] == ["segment"]
    assert sent["body"]["files"] == {"file": "clase-3.mp3"}
    assert result.text == "Hola a todos. Hoy hablamos de RAG."
    assert result.segments == [
        {"start": 0.0, "end": 4.2, "text": "Hola a todos."},
        {"start": 4.2, "end": 9.8, "text": "Hoy hablamos de RAG."},
    ]
    usage = result.usage
    assert (usage.kind, usage.model, usage.audio_seconds) == ("transcribe", "whisper-1", 126)
    assert usage.cost_usd == Decimal("0.012550")  # 0.006 USD/min x 125.5 s
    assert result.offline is False


def test_a_failed_upload_is_retried_with_the_whole_file(fake_openai, audio):
    fake_openai.reply(api_error(502, code=None), whisper_response())

    result = transcribe(audio)

    assert len(fake_openai.requests) == 2
    assert fake_openai.requests[1]["body"]["files"] == {"file": "clase-3.mp3"}
    assert result.usage.attempts == 2


def test_whisper_that_keeps_failing_raises_retryable_and_records_it(fake_openai, audio):
    fake_openai.reply(*[api_error(500, code=None) for _ in range(3)])

    with pytest.raises(AIUnavailable) as caught:
        transcribe(audio)

    assert caught.value.usage.status == AIUsage.Status.FAILED
    assert caught.value.usage.cost_usd == 0


def test_offline_provider_parses_an_existing_vtt_into_segments():
    upload = SimpleUploadedFile("zoom.vtt", VTT.encode(), content_type="text/vtt")

    result = transcribe(upload, requested_by="webinars.recording")

    assert result.segments == [
        {"start": 1.0, "end": 4.5, "text": "Hola a todos, bienvenidos."},
        {"start": 5.0, "end": 62.25, "text": "Hoy hablamos de RAG y de embeddings."},
    ]
    assert result.text == "Hola a todos, bienvenidos. Hoy hablamos de RAG y de embeddings."
    assert result.offline is True
    assert (result.usage.audio_seconds, result.usage.cost_usd) == (62, 0)


def test_srt_is_recognised_by_its_content_even_without_the_extension(tmp_path):
    path = tmp_path / "subtitulos.txt"
    path.write_text(SRT, encoding="utf-8")

    result = transcribe(path)

    assert result.segments[1] == {"start": 3600.5, "end": 3602.0, "text": "Segunda línea"}


def test_subtitles_are_parsed_locally_even_with_the_openai_provider(fake_openai, tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text(VTT, encoding="utf-8")

    result = transcribe(path)

    assert fake_openai.requests == []
    assert result.usage.offline_reason == AIUsage.OfflineReason.SUBTITLES


def test_the_offline_provider_refuses_audio_with_a_clear_error(audio):
    with pytest.raises(PromptError, match="solo lee subtítulos VTT o SRT"):
        transcribe(audio)


def test_subtitles_without_any_cue_are_a_clear_error(tmp_path):
    path = tmp_path / "empty.vtt"
    path.write_text("WEBVTT\n\n", encoding="utf-8")

    with pytest.raises(PromptError, match="ningún segmento"):
        transcribe(path)


def test_audio_over_25_mb_is_refused_before_upload(fake_openai, tmp_path):
    path = tmp_path / "largo.mp3"
    with path.open("wb") as fh:
        fh.truncate(26 * 1024 * 1024)

    with pytest.raises(PromptError, match="25 MB"):
        transcribe(path)

    assert fake_openai.requests == []


def test_a_spent_budget_stops_audio_transcription(fake_openai, audio):
    AIUsage.objects.create(provider="openai", model="gpt-4o", cost_usd=Decimal("9"))

    with pytest.raises(AIBudgetExceeded) as caught:
        transcribe(audio)

    assert fake_openai.requests == []
    assert caught.value.usage.status == AIUsage.Status.OVER_BUDGET


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PromptError, match="No existe"):
        transcribe(tmp_path / "nada.mp3")
