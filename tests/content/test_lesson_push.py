from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from content.services import publishing
from courseops.messaging.models import BudgetRule, Channel, OutboundMessage, Status
from courseops.messaging.services import subscribe_push

pytestmark = pytest.mark.django_db


def subscribe(push_service, address):
    browser = push_service.new_browser()
    subscribe_push(address=address, endpoint=browser.endpoint, **browser.as_json()["keys"])
    return browser


@pytest.fixture
def announce(django_capture_on_commit_callbacks):
    """Publish `lessons`, then run the digest an hour later; its messages are sent."""

    def run(lessons):
        start = timezone.now()
        for lesson in lessons:
            publishing.publish_lesson(lesson=lesson)
            publishing.notice_for(lesson=lesson)
        with (
            time_machine.travel(start + timedelta(minutes=61)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return publishing.announce_due()

    return run


def test_a_new_lesson_is_pushed_to_the_students_who_turned_notifications_on(
    make_lesson, students, push_service, announce
):
    lucia_browser = subscribe(push_service, "lucia@example.com")
    lesson = make_lesson(title="Embeddings y RAG")

    assert announce([lesson]) == 2  # both students get the email

    [request] = push_service.pushes()
    notice = push_service.notice(request, lucia_browser)
    assert notice["body"] == "Nueva lección: Embeddings y RAG"
    assert notice["url"].endswith(f"/portal/lecciones/{lesson.pk}/")
    push = OutboundMessage.objects.get(channel=Channel.PUSH)
    assert (push.recipient, push.status) == ("lucia@example.com", Status.SENT)


def test_lessons_published_together_are_one_push(make_lesson, students, push_service, announce):
    browser = subscribe(push_service, "mateo@example.com")

    announce([make_lesson(order=1, title="Uno"), make_lesson(order=2, title="Dos")])
    assert publishing.announce_due() == 0  # a second run queues nothing more

    [request] = push_service.pushes()
    assert push_service.notice(request, browser)["body"] == "2 lecciones nuevas"


def test_a_lesson_push_over_the_person_budget_is_dropped_and_the_email_still_goes(
    make_lesson, students, push_service, announce
):
    subscribe(push_service, "lucia@example.com")
    BudgetRule.objects.create(
        name="Un aviso al día",
        channel=Channel.PUSH,
        categories=["engagement"],
        limit=1,
        period_days=1,
    )

    announce([make_lesson(order=1, title="Uno")])
    announce([make_lesson(order=2, title="Dos")])

    assert len(push_service.pushes()) == 1
    pushes = OutboundMessage.objects.filter(channel=Channel.PUSH).order_by("pk")
    assert [push.status for push in pushes] == [Status.SENT, Status.DROPPED]
    assert OutboundMessage.objects.filter(channel=Channel.EMAIL).count() == 4
