"""A fake OpenAI-compatible server on 127.0.0.1: the official SDK really runs against it."""

import json
import time
from collections import deque

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

API_KEY = "sk-test-key"


@pytest.fixture(scope="session")
def make_httpserver():
    """Threaded, so a request left hanging by a client timeout does not block the next."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def chat_completion(
    content, *, prompt_tokens=120, completion_tokens=45, model="gpt-4o-mini", cached_tokens=None
):
    return Response(
        json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1764000000,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                    **(
                        {"prompt_tokens_details": {"cached_tokens": cached_tokens}}
                        if cached_tokens is not None
                        else {}
                    ),
                },
            }
        ),
        status=200,
        content_type="application/json",
    )


def whisper(duration, *segments):
    """A verbose Whisper answer: `segments` are (start, end, text) within the part sent."""
    body = {
        "task": "transcribe",
        "language": "spanish",
        "duration": duration,
        "text": " ".join(text for _s, _e, text in segments),
        "segments": [
            {
                "id": i,
                "seek": 0,
                "start": start,
                "end": end,
                "text": f" {text}",
                "tokens": [1],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.1,
                "no_speech_prob": 0.01,
            }
            for i, (start, end, text) in enumerate(segments)
        ],
    }
    return Response(json.dumps(body), status=200, content_type="application/json")


def api_error(status, *, code, message="error", type_="error", headers=None):
    body = {"error": {"message": message, "type": type_, "code": code, "param": None}}
    return Response(
        json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def slow(response, seconds):
    def respond():
        time.sleep(seconds)
        return response

    return respond


class FakeOpenAI:
    """Answers queued responses in order and keeps every request it received."""

    def __init__(self, server, prefix="/v1"):
        self.server = server
        self.requests = []
        self.queue = deque()
        for path in (f"{prefix}/chat/completions", f"{prefix}/audio/transcriptions"):
            server.expect_request(path, method="POST").respond_with_handler(self._handle)

    def reply(self, *responses):
        self.queue.extend(responses)

    def _handle(self, request):
        if request.mimetype == "application/json":
            body = request.get_json()
        else:
            body = {
                "form": request.form.to_dict(flat=False),
                "files": {name: f.filename for name, f in request.files.items()},
            }
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": body})
        if not self.queue:
            return api_error(500, code=None, message="fake server: nothing queued")
        response = self.queue.popleft()
        return response if isinstance(response, Response) else response()


@pytest.fixture
def fake_openai(httpserver, settings):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = API_KEY
    settings.OPENAI_BASE_URL = httpserver.url_for("/v1")
    settings.AI_MODEL = "gpt-4o-mini"
    settings.AI_TIMEOUT_SECONDS = 5
    settings.AI_MAX_ATTEMPTS = 3
    settings.AI_RETRY_BACKOFF_SECONDS = 0
    settings.AI_BREAKER_FAILURES = 5
    settings.AI_BREAKER_COOLDOWN_SECONDS = 60
    settings.AI_DAILY_BUDGET_USD = 5.0
    settings.AI_OVER_BUDGET = "offline"
    return FakeOpenAI(httpserver)


@pytest.fixture
def fake_fallback(fake_openai, httpserver, settings):
    """A second OpenAI-compatible server (a local model) configured as the fallback."""
    settings.AI_FALLBACK_BASE_URL = httpserver.url_for("/local/v1")
    settings.AI_FALLBACK_MODEL = "llama3.1:8b"
    return FakeOpenAI(httpserver, prefix="/local/v1")
