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
