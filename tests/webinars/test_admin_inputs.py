"""Staff choose a reminder's distance in words and a webinar's time zone by its city."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from webinars.forms import ReminderForm
from webinars.models import Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_staff(django_user_model):
    user = django_user_model.objects.create_user(username="eva", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_webinar", "change_webinar", "view_reminder", "change_reminder"]
        )
    )
    return user


def test_the_webinar_page_shows_reminders_in_words_and_zones_by_region(
    client, events_staff, make_webinar
):
    webinar = make_webinar()
    client.force_login(events_staff)

    page = client.get(reverse("admin:webinars_webinar_change", args=[webinar.pk])).content.decode()

    assert '<option value="10080" selected>7 días antes</option>' in page
    assert '<option value="1440" selected>1 día antes</option>' in page
    assert '<option value="120" selected>2 horas antes</option>' in page
    assert '<option value="10" selected>10 minutos antes</option>' in page
    assert "7 00:00:00" not in page
    assert '<optgroup label="América">' in page


def test_a_reminder_chosen_in_words_is_stored_as_its_duration(make_webinar):
    webinar = make_webinar()
    reminder = webinar.reminders.get(offset=timedelta(days=7))

    form = ReminderForm(
        data={"webinar": webinar.pk, "offset": "180", "email": "on", "active": "on"},
        instance=reminder,
    )

    assert form.is_valid(), form.errors
    assert form.save().offset == timedelta(hours=3)
    assert str(Reminder.objects.get(pk=reminder.pk)) == "3 horas antes"


def test_an_offset_outside_the_list_stays_offered_and_a_junk_one_is_refused(make_webinar):
    webinar = make_webinar()
    reminder = Reminder.objects.create(webinar=webinar, offset=timedelta(minutes=90))

    rendered = str(ReminderForm(instance=reminder)["offset"])
    junk = ReminderForm(data={"webinar": webinar.pk, "offset": "7 00:00:00"}, instance=reminder)

    assert '<option value="90" selected>90 minutos antes</option>' in rendered
    assert not junk.is_valid()
    assert "offset" in junk.errors
