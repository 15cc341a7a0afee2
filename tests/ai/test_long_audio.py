"""`transcribe_media`: a recording over the part size is split around its silence,
transcribed part by part (the real SDK against a fake OpenAI server) and joined on the
recording's clock; the parts a caller kept are not sent again."""

import pytest

from courseops.ai import PromptError, media, transcribe_media
from courseops.ai.models import AIUsage
from tests.ai.conftest import whisper
from tests.media import synthetic_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording(tmp_path, settings):
    settings.AI_AUDIO_PART_MAX_BYTES = 53_334  # parts of 12 s at most
    settings.AI_AUDIO_OVERLAP_SECONDS = 2
    return synthetic_video(tmp_path / "rec.m4a", [("tone", 14), ("silence", 12)], picture=False)


def test_a_long_recording_is_split_and_parts_the_caller_kept_are_not_sent_again(
    fake_openai, recording
):
    kept = {"0.000-12.000": [{"start": 0, "end": 12, "text": "Primera parte."}]}
    handed = []
    fake_openai.reply(whisper(4, (0, 2, "parte."), (2, 4, "Segunda parte.")))

    result = transcribe_media(
        recording,
        language="es",
        requested_by="tests",
        done=kept,
        on_part=lambda key, part: handed.append((key, part.segments)),
    )

    uploads = [r for r in fake_openai.requests if r["path"] == "/v1/audio/transcriptions"]
    assert [u["body"]["files"]["file"] for u in uploads] == ["part-002.mp3"]
    assert handed == [
        (
            "10.000-14.000",
            [
                {"start": 0, "end": 2, "text": "parte."},
                {"start": 2, "end": 4, "text": "Segunda parte."},
            ],
        )
    ]
    assert result.segments == [
        {"start": 0, "end": 12, "text": "Primera parte."},
        {"start": 12, "end": 14, "text": "Segunda parte."},
    ]
    assert result.text == "Primera parte. Segunda parte."
    assert (result.parts, result.silent_seconds) == (2, pytest.approx(12, abs=0.5))
    assert AIUsage.objects.filter(kind=AIUsage.Kind.TRANSCRIBE).count() == 1


def test_the_offline_provider_refuses_audio_before_any_ffmpeg_work(recording):
    with pytest.raises(PromptError, match="VTT o SRT"):
        transcribe_media(recording, language="es", requested_by="tests")


def test_a_file_ffmpeg_cannot_read_is_a_permanent_gateway_error(fake_openai, tmp_path):
    broken = tmp_path / "rota.m4a"
    broken.write_bytes(b"\x00\x00\x00 ftypM4A " + b"0" * 100)
    with pytest.raises(media.MediaError) as error:
        transcribe_media(broken, language="es", requested_by="tests")
    assert error.value.permanent
    assert not fake_openai.requests
