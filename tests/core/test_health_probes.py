"""What the container probes rely on: /health/ limited to named checks, check_heartbeat."""

import pytest

from courseops.core import heartbeat


@pytest.mark.django_db
def test_health_runs_only_the_checks_a_probe_names_so_a_silent_worker_does_not_fail_web_readiness(
    client,
):
    response = client.get("/health/?checks=database,cache")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


def test_health_with_an_empty_list_of_checks_only_proves_the_process_answers(client):
    response = client.get("/health/?checks=")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


def test_health_refuses_an_unknown_check_name_with_400(client):
    response = client.get("/health/?checks=database,disk")

    assert response.status_code == 400
    assert response.json()["unknown_checks"] == ["disk"]


def test_check_heartbeat_command_fails_for_a_beat_never_seen_and_passes_once_it_ticked():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="beat never seen"):
        call_command("check_heartbeat", "beat")

    heartbeat.record(heartbeat.BEAT)
    call_command("check_heartbeat", "beat")


def test_check_heartbeat_command_fails_for_a_stale_beat(settings, time_machine):
    from django.core.management import CommandError, call_command

    time_machine.move_to("2026-11-25 12:00:00+00:00", tick=False)
    heartbeat.record(heartbeat.BEAT)
    settings.HEALTH_HEARTBEAT_MAX_AGE = 60
    time_machine.shift(90)

    with pytest.raises(CommandError, match="beat last seen 90 s ago"):
        call_command("check_heartbeat", "beat")
