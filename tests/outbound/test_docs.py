"""docs/webhooks.md lists every event with an example body equal to the catalogue's."""

import json
import re

from django.conf import settings

from courseops.outbound.catalogue import event_types

DOC = settings.BASE_DIR / "docs" / "webhooks.md"


def documented():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Webhooks salientes") :]
    blocks = re.findall(r"^### `([a-z_.]+)`\n.*?```json\n(.*?)\n```", section, re.M | re.S)
    return {name: json.loads(body) for name, body in blocks}


def test_the_doc_lists_every_event_with_the_catalogues_example():
    examples = documented()

    assert sorted(examples) == sorted(event_types())
    for name, body in examples.items():
        assert body["type"] == name
        assert body["data"] == event_types()[name].example
        assert set(body) == {"id", "type", "timestamp", "data"}
