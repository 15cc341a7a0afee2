from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from courseops.ai.models import AIUsage
from courseops.core.demo import load_demo_data

pytestmark = pytest.mark.django_db


def check_ids():
    return {message.id for message in run_checks()}


def test_demo_data_records_offline_drafts_once(settings):
    load_demo_data()
    load_demo_data()

    usages = AIUsage.objects.filter(requested_by="demo")
    assert usages.count() == 3
    assert all(usage.offline for usage in usages)


def test_a_broken_prompt_file_fails_the_system_check(settings, tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "broken.toml").write_text('version = 1\nuser = "hola"\n')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert "ai.E002" in check_ids()


def test_a_template_error_in_a_prompt_file_fails_the_system_check(settings, tmp_path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "typo.toml").write_text(
        'version = 1\nuser = "{% if x %}hola"\n[offline.es]\ntext = "hola"\n'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert "ai.E002" in check_ids()


def test_the_shipped_prompt_files_pass_the_system_check():
    assert "ai.E002" not in check_ids()


def test_a_paid_model_without_a_price_warns(settings):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-x"
    settings.AI_MODEL = "gpt-9-unpriced"

    assert "ai.W001" in check_ids()


def test_ai_smoke_command_prints_the_draft_and_records_its_usage():
    out = StringIO()
    call_command("ai_smoke", "--topic", "RAG", "--language", "en", stdout=out)

    assert "ready to help you with RAG" in out.getvalue()
    assert "provider=offline" in out.getvalue()
    assert AIUsage.objects.get().requested_by == "ai.smoke"


def test_ai_smoke_command_reports_a_bad_language_as_a_command_error():
    with pytest.raises(CommandError, match="Idioma no admitido"):
        call_command("ai_smoke", "--language", "xx")
