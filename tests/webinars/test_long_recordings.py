"""Recordings longer than one transcription upload: a generated video or Zoom M4A is split
around its silence, transcribed part by part against a fake OpenAI server (the real SDK
runs) and joined on the recording's clock; a retry after a failed part resumes."""

import json

import httpx
import pytest
import respx
from django.core.files import File

from courseops.ai import AIUnavailable
from courseops.ai.models import AIUsage
from courseops.reviews.models import Draft
from tests.ai.conftest import api_error, chat_completion, fake_openai, make_httpserver, whisper
from tests.media import synthetic_video
from webinars.models import Recording
from webinars.services.recordings import recording_process, recording_upload
from webinars.services.transcripts import transcribe_recording

__all__ = ["fake_openai", "make_httpserver"]  # shared fixtures
pytestmark = pytest.mark.django_db
# The model's summary: the text and its chapters (one past the recording's 46 s).
SUMMARY = {
    "subject": "Resumen",
    "summary_html": "<p>Agentes.</p>",
    "chapters": [
        {"seconds": 16, "title": "Qué hace un agente"},
        {"seconds": 300, "title": "Después del final"},
    ],
}
# 4 s of speech, a 12 s break, 30 s of speech: with parts of at most 12 s overlapping 2 s,
# the parts are 0-4, 16-28, 26-38 and 36-46 s (as for a lesson in tests/content).
PATTERN = [("tone", 4), ("silence", 12), ("tone", 30)]
JOINED = [
    {"start": 0, "end": 4, "text": "Bienvenidos."},
    {"start": 16, "end": 21, "text": "Un agente usa herramientas."},
    {"start": 21, "end": 28, "text": "Decide el siguiente paso."},
    {"start": 28, "end": 38, "text": "Luego revisa el resultado."},
    {"start": 38, "end": 46, "text": "Y termina."},
]


FIRST_TWO = (
    whisper(4, (0, 4, "Bienvenidos.")),
    whisper(12, (0, 5, "Un agente usa herramientas."), (5, 12, "Decide el siguiente paso.")),
)
# Parts 3 and 4 repeat the 2 s before them; the join drops what was heard already.
LAST_TWO = (
    whisper(12, (0, 2, "Decide el siguiente paso."), (2, 12, "Luego revisa el resultado.")),
    whisper(10, (0, 2, "Luego revisa el resultado."), (2, 10, "Y termina.")),
)


@pytest.fixture(autouse=True)
def _small_parts(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AI_AUDIO_PART_MAX_BYTES = 53_334  # 12 s parts: the 25 MB limit, scaled down
    settings.AI_AUDIO_OVERLAP_SECONDS = 2


def _uploads(fake_openai):
    return [
        r["body"]["files"]["file"]
        for r in fake_openai.requests
        if r["path"] == "/v1/audio/transcriptions"
    ]


def test_an_uploaded_video_over_the_part_size_is_transcribed_in_parts_and_a_retry_resumes(
    finished_webinar, fake_openai, settings, tmp_path
):
    settings.AI_MAX_ATTEMPTS = 1
    video = synthetic_video(tmp_path / "sesion.mp4", PATTERN)
    with video.open("rb") as fh:
        recording = recording_upload(webinar=finished_webinar, file=File(fh, name="sesion.mp4"))
    fake_openai.reply(*FIRST_TWO, api_error(503, code=None, message="overloaded"))
    with pytest.raises(AIUnavailable):  # transient: re-raised for the task to retry
        recording_process(recording=recording, final_attempt=False)

    recording.refresh_from_db()
    assert _uploads(fake_openai) == ["part-001.mp3", "part-002.mp3", "part-003.mp3"]
    assert sorted(recording.transcript_parts) == ["0.000-4.000", "16.000-28.000"]
    assert recording.transcript == ""

    fake_openai.requests.clear()
    fake_openai.reply(
        *LAST_TWO,
        chat_completion(json.dumps({"title": "Agentes de IA", "description": "La sesión."})),
        chat_completion(json.dumps(SUMMARY)),
    )
    recording_process(recording=recording, final_attempt=True)

    assert _uploads(fake_openai) == ["part-003.mp3", "part-004.mp3"]  # 1 and 2 not re-sent
    recording.refresh_from_db()
    assert recording.transcript_segments == JOINED
    assert recording.transcript == " ".join(s["text"] for s in JOINED)
    assert recording.transcript_parts == {}
    assert recording.status == Recording.Status.SUMMARY_PENDING
    # The summary reads the joined transcript with its times and keeps the chapters inside.
    summary = Draft.objects.get(kind="webinar_summary")
    assert summary.data["chapters"] == [{"seconds": 16, "title": "Qué hace un agente"}]
    summary_prompt = json.dumps(fake_openai.requests[-1]["body"], ensure_ascii=False)
    assert "[00:16] Un agente usa herramientas." in summary_prompt
    # The video's title and description are drafted once the transcript exists, from it.
    video_prompt = next(r for r in fake_openai.requests if r["path"] == "/v1/chat/completions")
    assert "Luego revisa el resultado." in json.dumps(video_prompt["body"], ensure_ascii=False)
    assert Draft.objects.filter(kind="webinar_video").count() == 1
    sent = AIUsage.objects.filter(kind=AIUsage.Kind.TRANSCRIBE, status=AIUsage.Status.OK)
    assert sent.count() == 4


def test_zooms_m4a_is_streamed_to_a_file_and_transcribed_in_parts(
    finished_webinar, fake_openai, settings, tmp_path
):
    settings.ZOOM_ACCOUNT_ID, settings.ZOOM_CLIENT_ID = "acc", "cid"
    settings.ZOOM_CLIENT_SECRET = "csecret"
    audio = synthetic_video(tmp_path / "audio.m4a", PATTERN, picture=False).read_bytes()
    recording = Recording.objects.create(
        webinar=finished_webinar,
        source=Recording.Source.ZOOM,
        zoom_download_token="dl-token",
        zoom_files=[
            {"file_type": "MP4", "download_url": "https://zoom.us/rec/download/mp4-1"},
            {"file_type": "M4A", "download_url": "https://zoom.us/rec/download/m4a-1"},
        ],
    )
    fake_openai.reply(*FIRST_TWO, *LAST_TWO)
    with respx.mock(assert_all_called=False) as zoom:
        zoom.route(host="127.0.0.1").pass_through()  # the fake OpenAI server
        download = zoom.get("https://zoom.us/rec/download/m4a-1").respond(200, content=audio)
        result = transcribe_recording(recording)

    assert download.calls.last.request.headers["Authorization"] == "Bearer dl-token"
    assert result.segments == JOINED
    assert len(_uploads(fake_openai)) == 4


def test_a_zoom_download_is_written_in_chunks_and_stopped_at_the_size_limit(settings, tmp_path):
    from webinars.meetings import MeetingError
    from webinars.meetings.zoom import ZoomProvider

    chunk = b"a" * 65536
    served = []

    def body():
        for number in range(100):  # 6.25 MiB if read to the end
            served.append(number)
            yield chunk

    url = "https://zoom.us/rec/download/big"
    with respx.mock() as zoom:
        zoom.get(url).mock(side_effect=lambda request: httpx.Response(200, content=body()))
        target = tmp_path / "big.m4a"
        with pytest.raises(MeetingError) as error:
            ZoomProvider().download(url, target, token="t", max_bytes=2 * 1024 * 1024)
        assert error.value.permanent
        # Stopped while streaming (after the 3rd MiB read), not after reading all 6.25 MiB;
        # what was written stays within the limit.
        assert len(served) == 48
        assert target.stat().st_size <= 2 * 1024 * 1024

        served.clear()
        written = ZoomProvider().download(url, target, token="t", max_bytes=10 * 1024 * 1024)
    assert written == 100 * len(chunk) == target.stat().st_size
