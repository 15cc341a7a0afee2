import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask


@pytest.mark.django_db
def test_installing_periodic_tasks_twice_changes_nothing():
    call_command("install_periodic_tasks")
    first = list(PeriodicTask.objects.values_list("name", "task", "interval_id", "enabled"))
    call_command("install_periodic_tasks")

    assert ("core.heartbeat", "core.heartbeat") in [row[:2] for row in first]
    assert list(PeriodicTask.objects.values_list("name", "task", "interval_id", "enabled")) == first


@pytest.mark.django_db
def test_installing_periodic_tasks_keeps_a_schedule_staff_changed():
    call_command("install_periodic_tasks")
    slower, _ = IntervalSchedule.objects.get_or_create(every=300, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name="core.heartbeat").update(interval=slower, enabled=False)

    call_command("install_periodic_tasks")

    task = PeriodicTask.objects.get(name="core.heartbeat")
    assert (task.interval.every, task.enabled) == (300, False)


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_the_staff_user_can_log_in(client):
    call_command("load_demo_data")
    call_command("load_demo_data")

    users = get_user_model().objects.filter(username="staff")
    assert users.count() == 1
    assert users.get().is_staff
    assert client.login(username="staff", password="courseops-demo")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_staff_is_refused_in_production(settings):
    from courseops.core.demo import ensure_demo_staff

    settings.PRODUCTION = True
    with pytest.raises(RuntimeError, match="production"):
        ensure_demo_staff()
