import io
import json
import logging

import pytest

from courseops.core.logging import formatter


@pytest.fixture
def json_log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("django_structlog")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_each_request_logs_json_lines_carrying_one_request_id(client, json_log_lines):
    client.get("/health/")

    lines = json_log_lines()
    events = {line["event"]: line for line in lines}
    assert {"request_started", "request_finished"} <= set(events)
    request_ids = {line["request_id"] for line in lines}
    assert len(request_ids) == 1
    assert request_ids != {None}
    assert events["request_finished"]["code"] == 503


def test_plain_library_log_records_are_rendered_as_json_too():
    record = logging.LogRecord("kombu", logging.WARNING, __file__, 1, "lost %s", ("x",), None)

    line = json.loads(formatter("json").format(record))

    assert line["event"] == "lost x"
    assert line["level"] == "warning"
    assert "timestamp" in line


def test_signed_tokens_in_request_paths_never_reach_the_logs():
    from django.core import signing

    token = signing.dumps({"student": 7}, salt="portal")
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        "GET /portal/acceso/%s/ HTTP/1.1",
        (token,),
        None,
    )

    line = json.loads(formatter("json").format(record))

    assert token not in line["event"]
    assert line["event"] == "GET /portal/acceso/[token]/ HTTP/1.1"


@pytest.mark.django_db
def test_request_lines_of_signed_links_are_redacted(client, json_log_lines):
    from django.core import signing

    token = signing.dumps("x@example.com", salt="unsubscribe")
    client.get(f"/messaging/baja/{token}/")

    lines = json_log_lines()
    assert lines
    assert all(token not in json.dumps(line) for line in lines)
    assert any("/messaging/baja/[token]/" in line.get("request", "") for line in lines)
