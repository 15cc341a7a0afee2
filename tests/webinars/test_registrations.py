from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from icalendar import Calendar

from courseops.audit.models import AuditEntry
from students.signals import student_onboarded
from tests.webinars.conftest import START
from webinars.models import Registration
from webinars.services import (
    RegistrationError,
    registration_create,
    webinar_cancel,
    webinar_reschedule,
)
from webinars.signals import webinar_registered

pytestmark = pytest.mark.django_db
BEFORE = START - timedelta(days=20)


def register(capture, webinar, **kwargs):
    kwargs.setdefault("email", "lead@example.com")
    kwargs.setdefault("name", "Mario Ruiz")
    kwargs.setdefault("source", Registration.Source.PAGE)
    with capture(execute=True):
        return registration_create(webinar=webinar, **kwargs)


def invite(message):
    [(filename, content, mimetype)] = message.attachments
    assert filename == "webinar.ics"
    return mimetype, Calendar.from_ical(content)


@time_machine.travel(BEFORE, tick=False)
def test_a_lead_gets_a_confirmation_with_a_calendar_invitation_and_calendar_links(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    mail.outbox.clear()

    registration = register(
        django_capture_on_commit_callbacks, webinar, time_zone="Europe/Madrid", language="es"
    )

    [message] = mail.outbox
    assert message.to == ["lead@example.com"]
    assert webinar.title in message.subject
    assert "18:00" in message.body  # 17:00 UTC in Madrid
    assert "calendar.google.com" in message.body
    assert "outlook.live.com" in message.body
    mimetype, calendar = invite(message)
    assert mimetype.startswith("text/calendar")
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"webinar-{webinar.uid}@courseops"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == START
    assert str(event["LOCATION"]) == webinar.meeting_url == registration.link
    assert "mailto:" in str(event["ORGANIZER"])


@time_machine.travel(BEFORE, tick=False)
def test_registering_twice_keeps_one_registration_and_one_confirmation(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    mail.outbox.clear()

    first = register(django_capture_on_commit_callbacks, webinar, email="Lead@Example.com")
    second = register(django_capture_on_commit_callbacks, webinar)

    assert first.pk == second.pk
    assert len(mail.outbox) == 1


@time_machine.travel(BEFORE, tick=False)
def test_a_new_registration_is_announced_once_after_commit(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    heard = []

    def listen(sender, registration, webinar, **kwargs):
        heard.append((registration.email, webinar.pk))

    webinar_registered.connect(listen)
    try:
        register(django_capture_on_commit_callbacks, webinar, email="Lead@Example.com")
        register(django_capture_on_commit_callbacks, webinar, email="lead@example.com")
    finally:
        webinar_registered.disconnect(listen)

    assert heard == [("lead@example.com", webinar.pk)]


@time_machine.travel(BEFORE, tick=False)
def test_a_full_webinar_refuses_more_registrations(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar(capacity=1)
    register(django_capture_on_commit_callbacks, webinar)

    with pytest.raises(RegistrationError, match="plazas"):
        register(django_capture_on_commit_callbacks, webinar, email="otra@example.com")
    assert webinar.registrations.count() == 1


@time_machine.travel(BEFORE, tick=False)
def test_a_plan_only_webinar_refuses_leads_and_students_of_other_plans(
    make_webinar, plan, other_plan, student, django_capture_on_commit_callbacks
):
    webinar = make_webinar(is_public=False, plans=[other_plan])

    with pytest.raises(RegistrationError):
        register(django_capture_on_commit_callbacks, webinar)
    with pytest.raises(RegistrationError, match="plan"):
        register(django_capture_on_commit_callbacks, webinar, student=student, email=None)


@time_machine.travel(BEFORE, tick=False)
def test_an_onboarded_student_is_registered_to_the_upcoming_webinars_of_their_plan(
    make_webinar, plan, other_plan, student, django_capture_on_commit_callbacks
):
    mine = make_webinar(is_public=False, plans=[plan])
    make_webinar(is_public=False, plans=[other_plan])
    make_webinar(is_public=False, plans=[plan], schedule=False)  # a draft: not yet
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        responses = student_onboarded.send(sender=type(student), student=student)

    results = [result for _receiver, result in responses]
    assert {"registered": 1, "webinars": [mine.pk]} in results
    registration = Registration.objects.get()
    assert (registration.webinar, registration.student) == (mine, student)
    assert registration.time_zone == "America/Mexico_City"
    assert registration.source == Registration.Source.ONBOARDING
    assert [m.to for m in mail.outbox] == [["lucia@example.com"]]
    assert "11:00" in mail.outbox[0].body  # their own time zone


@time_machine.travel(BEFORE, tick=False)
def test_rescheduling_sends_an_update_with_the_next_sequence(
    make_webinar, staff_user, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    register(django_capture_on_commit_callbacks, webinar)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        webinar_reschedule(webinar=webinar, starts_at=START + timedelta(days=2), user=staff_user)

    [message] = mail.outbox
    mimetype, calendar = invite(message)
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == START + timedelta(days=2)
    assert str(event["UID"]) == f"webinar-{webinar.uid}@courseops"
    assert AuditEntry.objects.filter(action="webinars.webinar.rescheduled").exists()


@time_machine.travel(BEFORE, tick=False)
def test_cancelling_sends_a_calendar_cancel_and_closes_registrations(
    make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar()
    register(django_capture_on_commit_callbacks, webinar)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        webinar_cancel(webinar=webinar)

    [message] = mail.outbox
    mimetype, calendar = invite(message)
    assert "method=CANCEL" in mimetype
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert str(event["STATUS"]) == "CANCELLED"
    with pytest.raises(RegistrationError, match="cerradas"):
        register(django_capture_on_commit_callbacks, webinar, email="tarde@example.com")


@time_machine.travel(BEFORE, tick=False)
def test_a_student_with_a_bad_phone_or_time_zone_is_still_registered(
    make_webinar, plan, student, django_capture_on_commit_callbacks
):
    make_webinar(is_public=False, plans=[plan])
    student.phone = "12"
    student.time_zone = "Nowhere/City"
    student.save()

    with django_capture_on_commit_callbacks(execute=True):
        student_onboarded.send(sender=type(student), student=student)

    registration = Registration.objects.get()
    assert registration.phone == ""
    assert registration.time_zone == "America/Mexico_City"  # the webinar's


@time_machine.travel(BEFORE, tick=False)
def test_a_lead_with_a_bad_phone_is_told(make_webinar, django_capture_on_commit_callbacks):
    webinar = make_webinar()

    with pytest.raises(ValidationError, match="teléfono"):
        register(django_capture_on_commit_callbacks, webinar, phone="12")
    assert not Registration.objects.exists()
