"""AssemblyAI as the transcription provider: the official SDK runs against a fake AssemblyAI
on 127.0.0.1 (pytest-httpserver), so upload, submit, polling and sentences are real calls.

Response shapes: AssemblyAI's API reference, https://www.assemblyai.com/docs/api-reference
(transcripts/upload, transcripts/submit, transcripts/get, transcripts/get-sentences), and
the SDK's own test data, github.com/AssemblyAI/assemblyai-python-sdk
tests/unit/factories.py (TranscriptCompletedResponseFactory, SentenceFactory).
"""

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from courseops.ai import AIProviderError, AIUnavailable, transcribe
from courseops.ai.gateway import audio_transcription_available
from courseops.ai.models import AIUsage

pytestmark = pytest.mark.django_db

TRANSCRIPT_ID = "6rlr37h6f4-a5ae-4b3c-a3c5-3a8d5f8fb8a4"
UPLOAD_URL = "https://cdn.assemblyai.com/upload/ccbbbfaf-f319-4455-9556-272d48faaf7f"


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


def _transcript(status, **fields):
    return {
        "id": TRANSCRIPT_ID,
        "audio_url": UPLOAD_URL,
        "status": status,
        "language_code": "es",
        "speech_model": None,
        "text": None,
        "words": None,
        "audio_duration": None,
        "error": None,
        **fields,
    }


WORDS = [
    {"text": "Hola", "start": 240, "end": 600, "confidence": 0.98, "speaker": None},
    {"text": "a", "start": 600, "end": 700, "confidence": 0.97, "speaker": None},
    {"text": "todos.", "start": 700, "end": 1400, "confidence": 0.99, "speaker": None},
    {"text": "Hoy", "start": 2000, "end": 2300, "confidence": 0.96, "speaker": None},
    {"text": "hablamos", "start": 2300, "end": 2900, "confidence": 0.95, "speaker": None},
    {"text": "de", "start": 2900, "end": 3000, "confidence": 0.99, "speaker": None},
    {"text": "RAG.", "start": 3000, "end": 3800, "confidence": 0.91, "speaker": None},
]
COMPLETED = _transcript(
    "completed",
    text="Hola a todos. Hoy hablamos de RAG.",
    words=WORDS,
    audio_duration=126,
    confidence=0.96,
    speech_model_used="universal",
)
SENTENCES = {
    "id": TRANSCRIPT_ID,
    "confidence": 0.96,
    "audio_duration": 126,
    "sentences": [
        {
            "text": "Hola a todos.",
            "start": 240,
            "end": 1400,
            "confidence": 0.98,
            "speaker": None,
            "words": WORDS[:3],
        },
        {
            "text": "Hoy hablamos de RAG.",
            "start": 2000,
            "end": 3800,
            "confidence": 0.95,
            "speaker": None,
            "words": WORDS[3:],
        },
    ],
}


class FakeAssemblyAI:
    """Answers the transcript status GETs from a queue; records every request."""

    def __init__(self, server):
        self.requests = []
        self.statuses = []
        server.expect_request("/v2/upload", method="POST").respond_with_handler(
            self._record(lambda r: _json({"upload_url": UPLOAD_URL}))
        )
        server.expect_request("/v2/transcript", method="POST").respond_with_handler(
            self._record(lambda r: _json(_transcript("queued")))
        )
        server.expect_request(
            f"/v2/transcript/{TRANSCRIPT_ID}/sentences", method="GET"
        ).respond_with_handler(self._record(lambda r: _json(SENTENCES)))
        server.expect_request(f"/v2/transcript/{TRANSCRIPT_ID}", method="GET").respond_with_handler(
            self._record(self._status)
        )

    def _record(self, answer):
        def handle(request):
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "authorization": request.headers.get("Authorization"),
                    "body": request.get_data(),
                }
            )
            return answer(request)

        return handle

    def _status(self, request):
        answer = self.statuses.pop(0) if self.statuses else COMPLETED
        return answer if isinstance(answer, Response) else _json(answer)

    def paths(self, method=None):
        return [r["path"] for r in self.requests if method in (None, r["method"])]


@pytest.fixture
def fake_assemblyai(httpserver, settings):
    settings.AI_PROVIDER = "offline"  # drafts stay offline; only audio goes to AssemblyAI
    settings.AI_TRANSCRIPTION_PROVIDER = "assemblyai"
    settings.ASSEMBLYAI_API_KEY = "aai-test-key"
    settings.ASSEMBLYAI_BASE_URL = httpserver.url_for("").rstrip("/")
    settings.ASSEMBLYAI_SPEECH_MODEL = "universal"
    settings.ASSEMBLYAI_POLL_SECONDS = 0.01
    settings.ASSEMBLYAI_MAX_WAIT_SECONDS = 5
    settings.AI_MAX_ATTEMPTS = 3
    settings.AI_RETRY_BACKOFF_SECONDS = 0
    settings.AI_DAILY_BUDGET_USD = 5.0
    return FakeAssemblyAI(httpserver)


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "clase-3.mp3"
    path.write_bytes(b"ID3\x03\x00" + b"\x01" * 2048)
    return path


def test_audio_is_uploaded_submitted_polled_and_read_as_timed_sentences(fake_assemblyai, audio):
    fake_assemblyai.statuses = [_transcript("queued"), _transcript("processing")]

    result = transcribe(audio, language="es", requested_by="content")

    assert result.text == "Hola a todos. Hoy hablamos de RAG."
    assert result.segments == [
        {"start": 0.24, "end": 1.4, "text": "Hola a todos."},
        {"start": 2.0, "end": 3.8, "text": "Hoy hablamos de RAG."},
    ]
    assert result.provider == "assemblyai"
    assert result.offline is False
    assert result.duration_seconds == 126
    upload = fake_assemblyai.requests[0]
    assert upload["path"] == "/v2/upload"
    assert upload["body"] == audio.read_bytes()
    assert upload["authorization"] == "aai-test-key"
    submitted = json.loads(fake_assemblyai.requests[1]["body"])
    assert submitted["audio_url"] == UPLOAD_URL
    assert submitted["language_code"] == "es"
    assert submitted["speech_models"] == ["universal"]
    # Three status checks (queued, processing, completed), then the sentences.
    assert fake_assemblyai.paths("GET").count(f"/v2/transcript/{TRANSCRIPT_ID}") == 3


def test_the_ledger_records_the_assemblyai_model_and_prices_the_audio_minutes(
    fake_assemblyai, audio
):
    transcribe(audio, language="es", requested_by="content")

    usage = AIUsage.objects.get()
    assert usage.kind == AIUsage.Kind.TRANSCRIBE
    assert (usage.provider, usage.model) == ("assemblyai", "assemblyai-universal")
    assert usage.audio_seconds == 126
    # $0.0025 a minute (AI_PRICES) for 126 s.
    assert usage.cost_usd == pytest.approx(Decimal("0.00525"), abs=Decimal("0.000001"))


def test_a_failed_status_check_is_retried_without_submitting_the_audio_twice(
    fake_assemblyai, audio
):
    fake_assemblyai.statuses = [_json({"error": "Internal server error"}, status=500)]

    result = transcribe(audio, language="es", requested_by="content")

    assert result.text.startswith("Hola a todos")
    assert fake_assemblyai.paths("POST").count("/v2/transcript") == 1
    assert AIUsage.objects.get().attempts == 2


def test_a_later_call_for_the_same_audio_waits_for_the_transcript_already_paid_for(
    fake_assemblyai, audio
):
    down = _json({"error": "Internal server error"}, status=500)
    fake_assemblyai.statuses = [down, down, down]  # every attempt of this call
    with pytest.raises(AIUnavailable):
        transcribe(audio, language="es", requested_by="content")

    # The step is run again (a new gateway call, as after a worker died).
    result = transcribe(audio, language="es", requested_by="content")

    assert result.text.startswith("Hola a todos")
    assert fake_assemblyai.paths("POST").count("/v2/transcript") == 1


def test_audio_assemblyai_refuses_is_a_permanent_error_without_retries(fake_assemblyai, audio):
    fake_assemblyai.statuses = [
        _transcript("error", error="Audio duration is too short to transcribe.")
    ]

    with pytest.raises(AIProviderError, match="too short"):
        transcribe(audio, language="es", requested_by="content")

    usage = AIUsage.objects.get()
    assert usage.status == AIUsage.Status.FAILED
    assert usage.attempts == 1
    assert fake_assemblyai.paths("POST").count("/v2/transcript") == 1


def test_a_wrong_api_key_stops_at_once(fake_assemblyai, httpserver, audio):
    httpserver.clear()
    httpserver.expect_request("/v2/upload", method="POST").respond_with_json(
        {"error": "Invalid API key"}, status=401
    )

    with pytest.raises(AIProviderError, match="Invalid API key"):
        transcribe(audio, language="es", requested_by="content")

    assert len(httpserver.log) == 1


def test_subtitle_files_never_reach_assemblyai(fake_assemblyai, tmp_path):
    vtt = tmp_path / "zoom.vtt"
    vtt.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nHola\n")

    result = transcribe(vtt, language="es")

    assert result.provider == "offline"
    assert result.text == "Hola"
    assert fake_assemblyai.requests == []


def test_audio_transcription_is_available_with_assemblyai_while_drafts_stay_offline(
    fake_assemblyai,
):
    assert audio_transcription_available() is True


def test_the_system_check_refuses_assemblyai_for_drafts_and_asks_for_its_key(settings):
    from django.core.checks import run_checks

    settings.AI_PROVIDER = "assemblyai"
    settings.AI_TRANSCRIPTION_PROVIDER = "assemblyai"
    settings.ASSEMBLYAI_API_KEY = ""

    ids = {message.id for message in run_checks()}

    assert {"ai.E004", "ai.E006"} <= ids
    settings.AI_PROVIDER, settings.AI_TRANSCRIPTION_PROVIDER = "offline", "whisperx"
    assert "ai.E005" in {message.id for message in run_checks()}
