"""Each prompt says whether its answers may be shared: a personal email is never a copy of
someone else's, a reminder for everyone is paid for once."""

import json

import pytest

from courseops.ai import generate
from courseops.ai.models import AIUsage
from courseops.ai.prompts import load_prompt
from courseops.ai.reports import usage_totals
from tests.ai.conftest import chat_completion

pytestmark = pytest.mark.django_db

SAME_FACTS = {"name": "Lucía", "plan": "Pro anual", "interests": ["LLMs"]}
REMINDER = {"title": "Agentes con LLMs", "when": "martes 10 de marzo, 18:00"}


def reply(**fields):
    return chat_completion(json.dumps(fields, ensure_ascii=False))


def test_prompt_files_declare_their_cache_policy_and_model_class():
    assert load_prompt("welcome_email").cache == "personal"
    assert load_prompt("nudge_inactive").cache == "personal"
    assert load_prompt("webinar_reminder").cache == "shared"
    assert load_prompt("lesson_summary").cache == "shared"
    assert load_prompt("webinar_reminder").model_class == "light"
    assert load_prompt("lesson_quiz").model_class == "strong"


def test_two_people_with_the_same_facts_each_get_their_own_personal_email(fake_openai):
    fake_openai.reply(
        reply(subject="Hola Lucía (1)", body_html="<p>uno</p>"),
        reply(subject="Hola Lucía (2)", body_html="<p>dos</p>"),
    )

    first = generate("welcome_email", SAME_FACTS, subject="students.student:1")
    second = generate("welcome_email", SAME_FACTS, subject="students.student:2")

    assert len(fake_openai.requests) == 2
    assert second.cached is False
    assert first.data["subject"] != second.data["subject"]


def test_a_retry_for_the_same_person_costs_nothing(fake_openai):
    fake_openai.reply(reply(subject="Hola Lucía", body_html="<p>uno</p>"))

    generate("welcome_email", SAME_FACTS, subject="students.student:1")
    again = generate("welcome_email", SAME_FACTS, subject="students.student:1")

    assert len(fake_openai.requests) == 1
    assert (again.cached, again.usage.cost_usd, again.usage.cache_policy) == (True, 0, "personal")


def test_a_personal_prompt_without_a_subject_is_never_cached(fake_openai):
    fake_openai.reply(
        reply(subject="A", body_html="<p>a</p>"), reply(subject="B", body_html="<p>b</p>")
    )

    generate("welcome_email", SAME_FACTS)
    second = generate("welcome_email", SAME_FACTS)

    assert len(fake_openai.requests) == 2
    assert second.cached is False


def test_a_shared_prompt_is_served_from_cache_to_anyone_asking_the_same(fake_openai):
    fake_openai.reply(reply(subject="En una semana", body_html="<p>Guarda la fecha</p>"))

    generate("webinar_reminder", REMINDER, subject="webinars.webinar:1")
    second = generate("webinar_reminder", REMINDER, subject="webinars.webinar:2")

    assert len(fake_openai.requests) == 1
    assert (second.cached, second.usage.cache_policy) == (True, "shared")


def test_the_ledger_totals_show_cache_hits_per_prompt_with_its_policy(fake_openai):
    fake_openai.reply(
        reply(subject="En una semana", body_html="<p>Guarda la fecha</p>"),
        reply(subject="Hola", body_html="<p>uno</p>"),
    )
    generate("webinar_reminder", REMINDER)
    generate("webinar_reminder", REMINDER)
    generate("webinar_reminder", REMINDER)
    generate("welcome_email", SAME_FACTS, subject="students.student:1")

    rows = {row[0]: row for row in usage_totals(AIUsage.objects.all())["by_prompt"]["rows"]}

    reminder = rows["webinar_reminder (caché: Compartida)"]
    welcome = rows["welcome_email (caché: Personal (solo la misma persona))"]
    assert (reminder[1], reminder[2]) == (3, 2)  # calls, cache hits
    assert (welcome[1], welcome[2]) == (1, 0)
