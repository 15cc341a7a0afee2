"""A recording's drafts read its transcript, and one task at a time transcribes it."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from courseops.ai.models import AIUsage
from courseops.reviews.models import Draft
from courseops.reviews.services import edit_draft
from tests.ai.conftest import chat_completion, fake_openai, make_httpserver
from tests.webinars.conftest import START
from webinars.models import Recording
from webinars.services.recordings import recording_process, recording_upload
from webinars.services.transcripts import transcription_claim, transcription_release

__all__ = ["fake_openai", "make_httpserver"]  # shared fixtures
pytestmark = pytest.mark.django_db
# The model's summary: the text and its chapters (the recording has no times here).
SUMMARY = {"subject": "Resumen", "summary_html": "<p>Agentes.</p>", "chapters": []}
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nUn agente usa herramientas.\n"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"0" * 1000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _video_drafted_without_transcript(webinar, settings):
    """The offline provider cannot hear a video: the recording fails, its video is still
    drafted from the webinar's title and description."""
    settings.AI_PROVIDER = "offline"
    recording = recording_upload(webinar=webinar, file=SimpleUploadedFile("sesion.mp4", VIDEO))
    recording_process(recording=recording)
    draft = Draft.objects.get(kind="webinar_video")
    assert draft.data == {"with_transcript": False}
    # The transcript arrives later (a retry with a provider that hears video).
    Recording.objects.filter(pk=recording.pk).update(
        transcript="Un agente usa herramientas.", status=Recording.Status.TRANSCRIBED
    )
    recording.refresh_from_db()
    settings.AI_PROVIDER = "openai"
    return recording, draft


def _chat_prompts(fake_openai):
    return [
        json.dumps(r["body"], ensure_ascii=False)
        for r in fake_openai.requests
        if r["path"] == "/v1/chat/completions"
    ]


def test_a_pending_video_draft_written_before_the_transcript_is_rewritten_from_it(
    finished_webinar, fake_openai, settings
):
    recording, draft = _video_drafted_without_transcript(finished_webinar, settings)
    fake_openai.reply(
        chat_completion(json.dumps({"title": "Agentes y herramientas", "description": "Cómo."})),
        chat_completion(json.dumps(SUMMARY)),
    )
    recording_process(recording=recording)

    draft.refresh_from_db()
    assert (draft.subject, draft.body) == ("Agentes y herramientas", "Cómo.")
    assert draft.data == {"with_transcript": True}
    assert "Un agente usa herramientas." in _chat_prompts(fake_openai)[0]
    assert Draft.objects.filter(kind="webinar_video").count() == 1
    recording_process(recording=recording)  # again: nothing is drafted a second time
    assert len(_chat_prompts(fake_openai)) == 2


def test_a_video_draft_staff_already_edited_is_not_rewritten(
    finished_webinar, fake_openai, settings, staff_user
):
    recording, draft = _video_drafted_without_transcript(finished_webinar, settings)
    edit_draft(draft=draft, user=staff_user, subject="Mi título")
    fake_openai.reply(chat_completion(json.dumps(SUMMARY)))
    recording_process(recording=recording)

    draft.refresh_from_db()
    assert draft.subject == "Mi título"
    assert len(_chat_prompts(fake_openai)) == 1  # only the summary


def test_a_duplicate_delivery_stands_down_while_another_task_transcribes(finished_webinar):
    recording = recording_upload(
        webinar=finished_webinar, file=SimpleUploadedFile("sesion.vtt", VTT)
    )
    claim = transcription_claim(recording)  # the first delivery, mid-transcription
    usage_before = AIUsage.objects.count()

    duplicate = Recording.objects.select_related("webinar").get(pk=recording.pk)
    assert recording_process(recording=duplicate) is None
    assert transcription_claim(duplicate) is None

    recording.refresh_from_db()
    assert recording.transcript == ""
    assert AIUsage.objects.count() == usage_before  # nothing sent to transcribe
    assert not Draft.objects.filter(kind="webinar_summary").exists()

    transcription_release(recording, claim)  # the first one failed: a retry may run
    recording_process(recording=recording)
    recording.refresh_from_db()
    assert recording.transcript == "Un agente usa herramientas."
    assert recording.transcribing_since is None
    assert Draft.objects.filter(kind="webinar_summary").count() == 1
    assert transcription_claim(recording) is None  # transcribed: nothing left to claim


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_its_time(finished_webinar):
    recording = recording_upload(
        webinar=finished_webinar, file=SimpleUploadedFile("sesion.vtt", VTT)
    )
    with time_machine.travel(START, tick=False):
        dead = transcription_claim(recording)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert transcription_claim(recording) is None
    with time_machine.travel(START + timedelta(hours=4), tick=False):
        taken = transcription_claim(recording)
        assert taken is not None
        transcription_release(recording, dead)  # the old claim no longer releases anything
        recording.refresh_from_db()
        assert recording.transcribing_since == taken
