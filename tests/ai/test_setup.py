from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from courseops.ai.models import AIUsage
from courseops.core.demo import load_demo_data
from tests.ai.conftest import chat_completion

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


def test_load_demo_data_reports_an_off_schema_model_in_one_line_and_loads_the_rest(
    fake_openai, settings
):
    settings.AI_MAX_ATTEMPTS = 1
    # Every answer off-schema (the repair too): what stopped it with a traceback before.
    fake_openai.reply(*[chat_completion("esto no es JSON") for _ in range(100)])
    out, err = StringIO(), StringIO()

    call_command("load_demo_data", stdout=out, stderr=err)

    lines = err.getvalue().strip().splitlines()
    failures = [line for line in lines if line.startswith("IA: ")]
    assert any("AIOutputInvalid" in line for line in failures), lines
    assert len(lines) == len(failures) + 1  # and one line saying what to do
    assert "Traceback" not in err.getvalue()
    assert "Demo data loaded" in out.getvalue()
    assert get_user_model().objects.filter(username="staff").exists()
