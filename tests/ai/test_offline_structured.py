"""Offline drafts for schemas with lists: such fields are written as JSON in the prompt
file and come back typed, so offline output validates against the same schema."""

import pytest

from courseops.ai import AIOutputInvalid, generate

PROMPT = """
version = 1
user = "Puntos de {{ title }}"

[schema]
type = "object"
additionalProperties = false
required = ["title", "points"]

[schema.properties.title]
type = "string"

[schema.properties.points]
type = "array"

[schema.properties.points.items]
type = "string"

[offline.es]
title = "{{ title }}"
points = "{{ points }}"
"""


@pytest.fixture
def prompt_dir(settings, tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "points.toml").write_text(PROMPT)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]


@pytest.mark.django_db
def test_a_list_field_of_an_offline_draft_comes_back_as_a_list(prompt_dir):
    result = generate("points", {"title": "RAG", "points": '["uno", "dos"]'})
    assert result.data == {"title": "RAG", "points": ["uno", "dos"]}


@pytest.mark.django_db
def test_an_offline_list_field_that_is_not_json_is_reported_as_not_fitting(prompt_dir):
    with pytest.raises(AIOutputInvalid, match="points"):
        generate("points", {"title": "RAG", "points": "uno, dos"})
