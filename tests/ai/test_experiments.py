"""Prompt A/B tests: a split that is the same for the same person, results per version
in the admin, and promoting the winner (only with the permission to)."""

import pytest
from django.contrib.auth.models import Permission

from courseops.ai import generate
from courseops.ai.experiments import edit_distance, promote, results, start_experiment
from courseops.ai.models import AIEvalResult, AIEvalRun, AIUsage, PromptExperiment
from courseops.audit.models import AuditEntry
from courseops.reviews.models import Draft, DraftStatus

pytestmark = pytest.mark.django_db

SOURCE = 'version = {v}\ncache = "shared"\nuser = "Saluda"\n[offline.es]\ntext = "hola v{v}"\n'


@pytest.fixture
def hello(settings, tmp_path):
    """hello.toml (version 1) and a candidate hello.v2.toml."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "hello.toml").write_text(SOURCE.format(v=1))
    (folder / "hello.v2.toml").write_text(SOURCE.format(v=2))
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    return folder


def versions_for(subjects):
    return {s: generate("hello", {}, subject=s).usage.prompt_version for s in subjects}


def test_without_an_experiment_the_prompt_files_version_writes(hello):
    assert generate("hello", {}, subject="students.student:1").text == "hola v1"


def test_the_split_follows_the_share_and_never_flips_for_the_same_person(hello):
    start_experiment(prompt_name="hello", version_b="2", share_b=30)
    subjects = [f"students.student:{n}" for n in range(200)]

    first = versions_for(subjects)
    again = versions_for(subjects)

    assert first == again
    share_b = sum(v == "2" for v in first.values()) / len(subjects)
    assert 0.2 < share_b < 0.4
    assert generate("hello", {}, subject=subjects[0]).text == f"hola v{first[subjects[0]]}"


def test_promoting_the_winner_serves_it_to_everyone_until_the_file_moves_on(hello, admin_user):
    experiment = start_experiment(prompt_name="hello", version_b="2", share_b=10)

    promote(experiment, "2", user=admin_user)

    assert set(versions_for([f"s:{n}" for n in range(30)]).values()) == {"2"}
    assert AuditEntry.objects.filter(action="ai.experiment.promoted").count() == 1
    (hello / "hello.toml").write_text(SOURCE.format(v=3))  # the winner folded into v3
    assert generate("hello", {}, subject="s:1").text == "hola v3"


def _draft(version, status, *, edited=False):
    usage = AIUsage.objects.create(prompt_name="hello", prompt_version=version, provider="openai")
    return Draft.objects.create(
        kind="demo_email",
        status=status,
        generated_subject="Hola",
        subject="Hola",
        generated_body="Texto de prueba del borrador",
        body="Texto cambiado por el equipo" if edited else "Texto de prueba del borrador",
        ai_usage=usage,
        decided_at=usage.created_at if status != DraftStatus.PENDING else None,
    )


def test_results_per_version_count_review_decisions_edit_distance_and_eval_score(hello):
    experiment = start_experiment(prompt_name="hello", version_b="2")
    _draft("1", DraftStatus.APPROVED)
    _draft("1", DraftStatus.REJECTED)
    _draft("2", DraftStatus.APPROVED, edited=True)
    _draft("2", DraftStatus.APPLIED)
    _draft("2", DraftStatus.PENDING)
    run = AIEvalRun.objects.create(provider="openai")
    for case, passed in (("a", True), ("b", False), ("c", True), ("d", True)):
        AIEvalResult.objects.create(
            run=run, prompt_name="hello", prompt_version="2", model="m", case=case, passed=passed
        )

    a, b = results(experiment)

    assert (a["decided"], a["unedited"], a["edited"], a["rejected"]) == (2, 50.0, 0.0, 50.0)
    assert (b["decided"], b["unedited"], b["edited"], b["rejected"]) == (2, 50.0, 50.0, 0.0)
    assert a["edit_distance"] == 0
    assert b["edit_distance"] == pytest.approx(
        (
            edit_distance(
                "Hola\nTexto de prueba del borrador", "Hola\nTexto cambiado por el equipo"
            )
            + 0
        )
        / 2
    )
    assert (a["eval_score"], b["eval_score"]) == (None, 75.0)


@pytest.fixture
def reviewer(django_user_model):
    """Staff who may see and tune experiments but not promote a winner."""
    user = django_user_model.objects.create_user(username="rita", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_promptexperiment",
                "change_promptexperiment",
                "add_promptexperiment",
            ]
        )
    )
    return user


def test_the_admin_starts_an_experiment_and_shows_results(client, reviewer, hello):
    client.force_login(reviewer)

    response = client.post(
        "/admin/ai/promptexperiment/add/",
        {"prompt_name": "hello", "version_b": "2", "share_b": 20},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = PromptExperiment.objects.get()
    assert (experiment.version_a, experiment.version_b, experiment.share_b) == ("1", "2", 20)
    page = client.get(f"/admin/ai/promptexperiment/{experiment.pk}/change/").content.decode()
    assert "Texto cambiado al aprobar" in page
    assert "B (v2)" in page


def test_the_admin_refuses_a_version_that_has_no_file(client, reviewer, hello):
    client.force_login(reviewer)

    response = client.post(
        "/admin/ai/promptexperiment/add/", {"prompt_name": "hello", "version_b": "7", "share_b": 50}
    )

    assert response.status_code == 200
    assert "hello.v7.toml" in response.content.decode()
    assert not PromptExperiment.objects.exists()


def test_only_staff_with_the_promote_permission_can_promote(client, reviewer, hello):
    experiment = start_experiment(prompt_name="hello", version_b="2")
    client.force_login(reviewer)
    form = {"action": "promote_b", "_selected_action": [experiment.pk]}

    client.post("/admin/ai/promptexperiment/", form)
    experiment.refresh_from_db()
    assert experiment.running

    reviewer.user_permissions.add(Permission.objects.get(codename="promote_promptexperiment"))
    client.post("/admin/ai/promptexperiment/", form)
    experiment.refresh_from_db()
    assert (experiment.running, experiment.winner, experiment.ended_by) == (False, "2", reviewer)
