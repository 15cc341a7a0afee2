"""Social posts: approved drafts fill the channels' weekday slots in the business's zone,
and each post is published once, through its provider, only with the network's id."""

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx
import time_machine

from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident
from courseops.reviews.services import approve_draft, create_draft
from marketing.social.drafts import draft_from_brief
from marketing.social.models import SocialBrief, SocialChannel, SocialClick, SocialPost
from marketing.social.publishing import publish_due, publish_post
from marketing.social.reports import best_slots, clicks_by_weekday_hour
from marketing.social.schedule import (
    next_free_slot,
    reschedule_post,
    schedule_approved_drafts,
    schedule_post,
)
from marketing.tasks import run_social_posts

pytestmark = pytest.mark.django_db

# Monday 23 Nov 2026, 10:00 in Mexico City (the business's zone, UTC-6).
MONDAY_10 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
POSTS_URL = "https://api.linkedin.com/rest/posts"
HOOK_URL = "https://hooks.zapier.com/hooks/catch/1/abc/"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def channel(network="linkedin", provider="console", **extra):
    defaults = {
        "name": f"Escuela en {network}",
        "network": network,
        "provider": provider,
        "slots": {"0": ["09:00"], "2": ["12:00", "18:30"]},
    }
    return SocialChannel.objects.create(**(defaults | extra))


def linkedin_channel(**extra):
    return channel(
        provider="linkedin", account="urn:li:organization:777", access_token="li-token", **extra
    )


def approved_draft(staff_user, capture):
    draft = create_draft(
        kind="social_post",
        target=None,
        subject="Agentes de IA",
        body="...",
        data={
            "networks": {
                "linkedin": "Webinar gratuito: Agentes de IA. Inscríbete: https://x.test/w/1/",
                "x": "Agentes de IA · Inscríbete: https://x.test/w/1/ #IA",
                "instagram": "Enlace en la bio",
                "facebook": "Webinar: https://x.test/w/1/",
            }
        },
    )
    with capture(execute=True):
        approve_draft(draft=draft, user=staff_user)
    return draft


def test_posts_fill_the_next_free_weekday_slots_in_the_business_time_zone(clock):
    page = channel()

    first = schedule_post(channel=page, text="uno")
    second = schedule_post(channel=page, text="dos")
    third = schedule_post(channel=page, text="tres")
    chosen = schedule_post(channel=page, text="cuatro", at=MONDAY_10 + timedelta(hours=1))

    # Monday 09:00 has passed: Wednesday 12:00 and 18:30, then next Monday 09:00 (local).
    assert [p.scheduled_at for p in (first, second, third)] == [
        datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
    ]
    assert chosen.scheduled_at == MONDAY_10 + timedelta(hours=1)


def test_a_channel_without_slots_schedules_nothing(clock):
    assert next_free_slot(channel(slots={})) is None
    assert schedule_post(channel=channel(slots={}), text="x") is None


def test_an_approved_webinar_draft_is_scheduled_once_per_channel_with_its_networks_text(
    clock, staff_user, django_capture_on_commit_callbacks
):
    linkedin, x = channel("linkedin"), channel("x")
    channel("linkedin", active=False)
    approved_draft(staff_user, django_capture_on_commit_callbacks)

    posts = schedule_approved_drafts()
    again = schedule_approved_drafts()

    assert {(p.channel, p.text.split("http")[0]) for p in posts} == {
        (linkedin, "Webinar gratuito: Agentes de IA. Inscríbete: "),
        (x, "Agentes de IA · Inscríbete: "),
    }
    assert all("/suscripcion/c/" in p.text for p in posts)  # the link is tracked
    assert posts[1].text.endswith(" #IA")
    assert again == []
    assert SocialPost.objects.count() == 2


def test_a_pending_draft_is_not_scheduled(clock):
    channel()
    create_draft(kind="social_post", target=None, subject="s", body="b", data={"networks": {}})

    assert schedule_approved_drafts() == []


def test_linkedin_publishes_once_and_keeps_the_post_urn(clock):
    post = schedule_post(channel=linkedin_channel(), text="Hola LinkedIn", at=MONDAY_10)
    with respx.mock() as router:
        route = router.post(POSTS_URL).mock(
            return_value=httpx.Response(201, headers={"x-restli-id": "urn%3Ali%3Ashare%3A42"})
        )
        publish_post(post_id=post.pk)
        publish_post(post_id=post.pk)  # a retried task

    post.refresh_from_db()
    assert (post.status, post.external_id) == ("published", "urn:li:share:42")
    assert route.call_count == 1
    request = route.calls[0].request
    assert request.headers["Authorization"] == "Bearer li-token"
    assert request.headers["LinkedIn-Version"] == "202601"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    body = json.loads(request.content)
    assert (body["author"], body["commentary"], body["lifecycleState"]) == (
        "urn:li:organization:777",
        "Hola LinkedIn",
        "PUBLISHED",
    )


def test_a_linkedin_answer_without_an_id_is_not_a_published_post(clock):
    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    with respx.mock() as router:
        router.post(POSTS_URL).mock(return_value=httpx.Response(201))
        publish_post(post_id=post.pk)

    post.refresh_from_db()
    assert (post.status, post.external_id) == ("failed", "")


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500), httpx.Response(503), httpx.ConnectTimeout("no answer to connect")],
    ids=["500", "503", "connect-timeout"],
)
def test_a_passing_failure_is_retried_with_growing_waits_and_published_once(
    clock, failure, django_capture_on_commit_callbacks
):
    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    tried_at = []

    def answer(request):
        tried_at.append(datetime.now(UTC))
        if len(tried_at) < 3:
            if isinstance(failure, Exception):
                raise failure
            return failure
        return httpx.Response(201, headers={"x-restli-id": "urn:li:share:9"})

    with respx.mock() as router:
        route = router.post(POSTS_URL).mock(side_effect=answer)
        for _ in range(12):  # the periodic run, once a minute
            with django_capture_on_commit_callbacks(execute=True):
                run_social_posts()
            clock.shift(timedelta(minutes=1))

    post.refresh_from_db()
    assert (post.status, post.attempts, post.external_id) == ("published", 3, "urn:li:share:9")
    assert route.call_count == 3
    # 2 minutes after the first failure, 4 after the second (liveness.retry_delay).
    assert tried_at == [
        MONDAY_10,
        MONDAY_10 + timedelta(minutes=2),
        MONDAY_10 + timedelta(minutes=6),
    ]


def test_an_expired_token_fails_for_good_without_retrying(clock):
    post = schedule_post(channel=linkedin_channel(), text="y", at=MONDAY_10)
    with respx.mock() as router:
        route = router.post(POSTS_URL).mock(return_value=httpx.Response(401))
        publish_post(post_id=post.pk)
        clock.shift(timedelta(hours=1))
        publish_due()
        publish_post(post_id=post.pk)
    post.refresh_from_db()
    assert post.status == "failed"
    assert "token" in post.last_error
    assert route.call_count == 1


def test_a_timeout_after_sending_is_never_retried_but_left_for_staff_to_check(clock):
    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    with respx.mock() as router:
        route = router.post(POSTS_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        publish_post(post_id=post.pk)
        clock.shift(timedelta(hours=1))
        publish_due()
        publish_post(post_id=post.pk)

    post.refresh_from_db()
    assert post.status == "unknown"
    assert route.call_count == 1


def _held_by_a_dead_worker(post, *, network_called):
    from tests.core.test_liveness import dead_holder

    SocialPost.objects.filter(pk=post.pk).update(
        status="publishing",
        claimed_at=MONDAY_10,
        attempts=1,
        held_by=dead_holder(),
        provider_called_at=MONDAY_10 if network_called else None,
    )


def test_a_post_whose_worker_died_before_calling_the_network_is_published_by_another_at_once(
    clock, django_capture_on_commit_callbacks
):
    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    _held_by_a_dead_worker(post, network_called=False)
    clock.shift(timedelta(seconds=5))
    with respx.mock() as router:
        route = router.post(POSTS_URL).mock(
            return_value=httpx.Response(201, headers={"x-restli-id": "urn:li:share:5"})
        )
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                run_social_posts()

    post.refresh_from_db()
    assert (post.status, post.external_id) == ("published", "urn:li:share:5")
    assert post.published_at == MONDAY_10 + timedelta(seconds=5)
    assert post.attempts == 1  # the dead worker's claim was not an attempt
    assert post.held_by == ""
    assert route.call_count == 1


def test_a_post_whose_worker_died_during_the_network_call_waits_for_staff_never_resent(
    clock, django_capture_on_commit_callbacks
):
    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    _held_by_a_dead_worker(post, network_called=True)
    clock.shift(timedelta(seconds=5))
    with respx.mock(assert_all_called=False) as router:
        route = router.post(POSTS_URL).mock(return_value=httpx.Response(201))
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                run_social_posts()

    post.refresh_from_db()
    assert post.status == "unknown"
    assert "durante la llamada a la red" in post.last_error
    assert post.provider_called_at == MONDAY_10  # when, for staff checking the network
    assert route.call_count == 0


def test_a_post_whose_worker_is_alive_is_left_to_it(clock, django_capture_on_commit_callbacks):
    from courseops.core import liveness

    post = schedule_post(channel=linkedin_channel(), text="x", at=MONDAY_10)
    SocialPost.objects.filter(pk=post.pk).update(
        status="publishing", claimed_at=MONDAY_10, held_by=liveness.me()
    )
    clock.shift(timedelta(hours=1))
    with respx.mock(assert_all_called=False) as router:
        route = router.post(POSTS_URL)
        with django_capture_on_commit_callbacks(execute=True):
            run_social_posts()

    assert SocialPost.objects.get(pk=post.pk).status == "publishing"
    assert route.call_count == 0


def test_a_claim_taken_over_meanwhile_is_not_stamped_so_its_worker_stops(clock):
    from marketing.social.publishing import _stamp_provider_call

    post = schedule_post(channel=channel(), text="x", at=MONDAY_10)
    SocialPost.objects.filter(pk=post.pk).update(status="publishing", claimed_at=MONDAY_10)
    post.refresh_from_db()
    SocialPost.objects.filter(pk=post.pk).update(claimed_at=MONDAY_10 + timedelta(seconds=1))

    assert _stamp_provider_call(post) is False
    assert SocialPost.objects.get(pk=post.pk).provider_called_at is None


def test_the_webhook_provider_signs_the_post_and_needs_the_id_back(clock, settings):
    settings.MARKETING_SOCIAL_WEBHOOK_SECRET = "hook-secret"
    hook = channel("facebook", provider="webhook", account=HOOK_URL)
    post = schedule_post(channel=hook, text="Hola Facebook", at=MONDAY_10)
    bad = schedule_post(channel=hook, text="Sin id", at=MONDAY_10)
    with respx.mock() as router:
        route = router.post(HOOK_URL).mock(
            side_effect=[
                httpx.Response(200, json={"id": "fb_123_456", "status": "success"}),
                httpx.Response(200, json={"status": "success"}),
            ]
        )
        publish_post(post_id=post.pk)
        publish_post(post_id=bad.pk)

    request = route.calls[0].request
    stamp, signature = (
        part.split("=", 1)[1] for part in request.headers["X-CourseOps-Signature"].split(",")
    )
    expected = hmac.new(b"hook-secret", f"{stamp}.".encode() + request.content, hashlib.sha256)
    assert signature == expected.hexdigest()
    assert json.loads(request.content)["text"] == "Hola Facebook"
    post.refresh_from_db()
    bad.refresh_from_db()
    assert (post.status, post.external_id) == ("published", "fb_123_456")
    assert bad.status == "failed"


def test_the_periodic_run_schedules_an_approved_draft_and_publishes_it_once_at_its_slot(
    clock, staff_user, django_capture_on_commit_callbacks
):
    page = channel("linkedin")
    approved_draft(staff_user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_social_posts()
    post = SocialPost.objects.get()
    assert post.status == "scheduled"

    clock.move_to(post.scheduled_at + timedelta(seconds=30))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run_social_posts()

    post.refresh_from_db()
    assert (post.status, post.external_id, post.channel) == (
        "published",
        f"console-{post.pk}",
        page,
    )
    assert post.attempts == 1


def test_publish_due_takes_constant_queries(clock, django_assert_max_num_queries):
    from courseops.core import liveness

    page = channel()
    for size in (2, 20):
        SocialPost.objects.bulk_create(
            SocialPost(channel=page, text="x", scheduled_at=MONDAY_10) for _ in range(size)
        )
        SocialPost.objects.bulk_create(
            SocialPost(
                channel=page,
                text="x",
                scheduled_at=MONDAY_10,
                status="publishing",
                held_by=liveness.me(),
            )  # fmt: skip
            for _ in range(size)
        )
        # The holders in flight, twice (before and after the call), then the due posts.
        with django_assert_max_num_queries(3):
            assert publish_due() == (2 if size == 2 else 22)


def test_staff_are_warned_days_before_a_network_token_expires(clock, settings):
    settings.MARKETING_SOCIAL_TOKEN_WARN_DAYS = 10
    expiring = linkedin_channel(token_expires_at=MONDAY_10 + timedelta(days=7))
    linkedin_channel(token_expires_at=MONDAY_10 + timedelta(days=30))
    channel(token_expires_at=MONDAY_10)  # console: no token to renew

    evaluate_alerts(only={"marketing.social_token_expiry"})

    incident = Incident.objects.get()
    assert incident.key == str(expiring.pk)
    assert "caduca en 7 días" in incident.title

    expiring.token_expires_at = MONDAY_10 + timedelta(days=60)
    expiring.save()
    evaluate_alerts(only={"marketing.social_token_expiry"})
    assert Incident.objects.get().resolved_at is not None


def test_links_in_a_post_become_tracked_redirects_with_utm_and_human_clicks_are_counted(
    clock, client
):
    post = schedule_post(
        channel=channel("x"),
        text="Apúntate: https://escuela.example.com/webinars/1/?utm_campaign=otono. ¡Gratis!",
        at=MONDAY_10,
    )
    [link] = re.findall(r"http://\S+/suscripcion/c/\S+/", post.text)
    assert post.text.endswith("/. ¡Gratis!")

    person = client.get(urlsplit(link).path, HTTP_USER_AGENT="Mozilla/5.0 Chrome")
    client.get(urlsplit(link).path, HTTP_USER_AGENT="Twitterbot/1.0")

    assert person.status_code == 302
    target = urlsplit(person["Location"])
    assert (target.netloc, target.path) == ("escuela.example.com", "/webinars/1/")
    assert dict(parse_qsl(target.query)) == {
        "utm_campaign": "otono",  # the author's own UTM is kept
        "utm_source": "x",
        "utm_medium": "social",
        "utm_content": f"post-{post.pk}",
    }
    assert [(c.machine, c.reason) for c in SocialClick.objects.order_by("pk")] == [
        (False, ""),
        (True, "bot user agent"),
    ]
    assert clicks_by_weekday_hour() == [
        {"post__channel__network": "x", "weekday": 1, "hour": 10, "clicks": 1}
    ]


def test_the_best_slots_are_the_ones_with_most_human_clicks_per_post(clock):
    page = channel("linkedin")
    wednesday_noon = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)  # 12:00 local
    monday_nine = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 09:00 local
    for at, clicks in (
        (wednesday_noon, 5),
        (wednesday_noon - timedelta(days=7), 3),
        (monday_nine, 1),
        (monday_nine - timedelta(days=7), 0),
        (monday_nine + timedelta(hours=8), 40),
    ):  # one post: not a pattern
        post = SocialPost.objects.create(
            channel=page, text="x", scheduled_at=at, status="published", published_at=at
        )
        SocialClick.objects.bulk_create(
            SocialClick(post=post, url="https://e.com", at=at) for _ in range(clicks)
        )
        SocialClick.objects.create(post=post, url="https://e.com", at=at, machine=True)

    assert best_slots(network="linkedin") == [
        {"weekday": 3, "hour": 12, "posts": 2, "clicks_per_post": 4.0},
        {"weekday": 1, "hour": 9, "posts": 2, "clicks_per_post": 0.5},
    ]


def test_a_topic_gets_two_ai_variants_per_network_and_the_reviewer_picks_by_deleting(
    clock, staff_user, django_capture_on_commit_callbacks
):
    linkedin, x = channel("linkedin"), channel("x")
    brief = SocialBrief.objects.create(
        topic="Agentes de IA para pymes", link="https://escuela.example.com/agentes/"
    )
    draft = draft_from_brief(brief=brief)
    assert draft.kind == "social_post"
    assert sorted(draft.data["variants"]) == ["facebook", "instagram", "linkedin", "x"]
    assert all(len(texts) == 2 for texts in draft.data["variants"].values())
    assert "[x 2]\n¿Ya usas Agentes de IA para pymes?" in draft.body
    assert "escuela.example.com" not in draft.data["variants"]["instagram"][0]

    # The reviewer keeps LinkedIn's second variant and X's first.
    edited = re.sub(r"\[(linkedin 1|x 2)\]\n.*?(?=\n\n\[|\Z)", "", draft.body, flags=re.S)
    with django_capture_on_commit_callbacks(execute=True):
        approve_draft(draft=draft, user=staff_user, body=edited)
    posts = {post.channel: post for post in schedule_approved_drafts()}

    assert posts[linkedin].text.startswith("¿Cómo aplicar Agentes de IA para pymes en tu trabajo?")
    assert posts[x].text.startswith("Agentes de IA para pymes · http")


def test_a_text_over_the_networks_limit_is_held_back_for_staff_and_rescheduled_once_it_fits(clock):
    x = channel("x")
    long_text = "palabra " * 40  # 320 characters
    post = schedule_post(channel=x, text=long_text + "https://e.com/" + "a" * 300)

    assert post.status == "failed"
    assert post.last_error == "Demasiado largo para x: 343 > 280 caracteres."
    assert reschedule_post(post=post) is False

    post.text = "Corto: https://e.com/" + "a" * 300  # a link counts 23 on X, whatever its length
    post.save()
    assert reschedule_post(post=post) is True
    post.refresh_from_db()
    assert (post.status, post.scheduled_at) == (
        "scheduled",
        datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    )
    assert "/suscripcion/c/" in post.text


def test_a_webhook_channel_at_a_local_address_fails_without_sending(clock, settings):
    settings.MARKETING_SOCIAL_WEBHOOK_SECRET = "hook-secret"
    hook = channel("facebook", provider="webhook", account="https://169.254.169.254/hook")
    post = schedule_post(channel=hook, text="Hola", at=MONDAY_10)
    with respx.mock(assert_all_called=False) as router:
        route = router.route().mock(return_value=httpx.Response(200, json={"id": "x"}))
        publish_post(post_id=post.pk)

    assert not route.called
    post.refresh_from_db()
    assert post.status == "failed"
    assert "169.254.169.254" in post.last_error
