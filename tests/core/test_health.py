import pytest

from courseops.core import heartbeat


@pytest.mark.django_db
def test_health_is_503_and_names_the_silent_processes_when_no_worker_or_beat_was_seen(client):
    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert "worker never seen" in body["checks"]["worker"]
    assert "beat never seen" in body["checks"]["beat"]


@pytest.mark.django_db
def test_health_is_200_when_every_part_answers_and_heartbeats_are_recent(client):
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)

    response = client.get("/health/")

    assert response.status_code == 200, response.json()
    assert set(response.json()["checks"]) == {"database", "cache", "broker", "worker", "beat"}


@pytest.mark.django_db
def test_health_reports_a_stale_worker(client, settings, time_machine):
    time_machine.move_to("2026-11-25 12:00:00+00:00", tick=False)
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    settings.HEALTH_HEARTBEAT_MAX_AGE = 60
    time_machine.shift(120)
    heartbeat.record(heartbeat.BEAT)

    body = client.get("/health/").json()

    assert body["checks"]["beat"] == "ok"
    assert "worker last seen 120 s ago" in body["checks"]["worker"]


def test_the_heartbeat_task_records_the_worker():
    from courseops.core.tasks import record_worker_heartbeat

    assert heartbeat.seconds_since(heartbeat.WORKER) is None
    record_worker_heartbeat.delay()
    assert heartbeat.seconds_since(heartbeat.WORKER) < 5
