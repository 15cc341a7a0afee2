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
    assert set(response.json()["checks"]) == {
        "database",
        "cache",
        "broker",
        "worker",
        "beat",
        "schedule",
    }


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


@pytest.mark.django_db
def test_health_names_the_declared_periodic_tasks_missing_from_the_schedule(client):
    from django_celery_beat.models import PeriodicTask

    from courseops.core.schedules import install_periodic_tasks

    install_periodic_tasks()
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    assert client.get("/health/").json()["checks"]["schedule"] == "ok"

    PeriodicTask.objects.filter(name="messaging.sweep_outbox").delete()
    response = client.get("/health/")

    assert response.status_code == 503
    assert "messaging.sweep_outbox" in response.json()["checks"]["schedule"]
    assert "missing" in response.json()["checks"]["schedule"]


@pytest.mark.django_db
def test_health_reports_a_schedule_change_the_running_beat_has_not_loaded(client, time_machine):
    from django_celery_beat.models import PeriodicTasks

    from courseops.core.schedules import install_periodic_tasks

    time_machine.move_to("2026-11-25 12:00:00+00:00", tick=False)
    install_periodic_tasks()
    PeriodicTasks.update_changed()
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    heartbeat.record_schedule_loaded(PeriodicTasks.last_change())
    assert client.get("/health/").json()["checks"]["schedule"] == "ok"

    time_machine.shift(30)
    PeriodicTasks.update_changed()  # staff change a schedule
    time_machine.shift(30)
    assert client.get("/health/").json()["checks"]["schedule"] == "ok"  # beat has time

    time_machine.shift(60)
    heartbeat.record(heartbeat.WORKER)
    heartbeat.record(heartbeat.BEAT)
    body = client.get("/health/").json()

    assert "beat has not loaded the schedule changed 90 s ago" in body["checks"]["schedule"]
