"""Facebook page posting through Meta's Graph API (faked with respx at the HTTP seam):
published once and only with the post id Graph returns; an outcome that may have posted
(5xx, a timeout after sending, an answer without the id) is left for staff, never
re-sent; the token's expiry is read from `debug_token` and feeds the expiring-token alert."""

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest
import respx
import time_machine

from courseops.operations.alerts.services import evaluate_alerts
from courseops.operations.models import Incident
from marketing.social.models import SocialChannel, SocialPost
from marketing.social.publishing import publish_post
from marketing.social.schedule import schedule_post
from marketing.social.tokens import TokenCheckError, refresh_meta_tokens, refresh_token_expiry

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
FEED_URL = "https://graph.facebook.com/v26.0/1029384756/feed"
DEBUG_URL = "https://graph.facebook.com/v26.0/debug_token"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(db):
    return SocialChannel.objects.create(
        name="Escuela en Facebook",
        network="facebook",
        provider="facebook",
        account="1029384756",
        access_token="EAAG-page-token",
        slots={"0": ["09:00"]},
    )


def due_post(page, text="Nueva clase: https://escuela.example.com/ia/ ¡te esperamos!"):
    post = schedule_post(channel=page, text=text, at=MONDAY_10)
    SocialPost.objects.filter(pk=post.pk).update(text=text)  # keep the link as typed
    return post


def graph_error(code, message, status=400):
    body = {"error": {"message": message, "type": "OAuthException", "code": code,
                      "fbtrace_id": "AbC"}}  # fmt: skip
    return httpx.Response(status, json=body)


def test_a_page_post_is_published_once_with_the_id_graph_returns(page, clock):
    post = due_post(page)
    with respx.mock() as router:
        route = router.post(FEED_URL).mock(
            return_value=httpx.Response(200, json={"id": "1029384756_555"})
        )
        publish_post(post_id=post.pk)
        publish_post(post_id=post.pk)  # a retried task

    post.refresh_from_db()
    assert (post.status, post.external_id, post.published_at) == (
        "published",
        "1029384756_555",
        MONDAY_10,
    )
    assert route.call_count == 1
    sent = dict(parse_qsl(route.calls[0].request.content.decode()))
    assert sent == {
        "message": "Nueva clase: https://escuela.example.com/ia/ ¡te esperamos!",
        "link": "https://escuela.example.com/ia/",
        "access_token": "EAAG-page-token",
    }


def test_a_post_without_a_link_sends_only_the_message(page, clock):
    post = due_post(page, text="Hoy no hay clase.")
    with respx.mock() as router:
        route = router.post(FEED_URL).mock(return_value=httpx.Response(200, json={"id": "1_2"}))
        publish_post(post_id=post.pk)

    sent = dict(parse_qsl(route.calls[0].request.content.decode()))
    assert sorted(sent) == ["access_token", "message"]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"error": {"message": "Unknown error", "code": 1}}),
        httpx.Response(503),
        httpx.Response(200, json={"success": True}),  # no id: did it post?
        httpx.ReadTimeout("read timed out"),  # sent, no answer
    ],
)
def test_an_outcome_that_may_have_posted_is_left_for_staff_and_never_resent(page, clock, answer):
    post = due_post(page)
    with respx.mock() as router:
        route = router.post(FEED_URL).mock(side_effect=[answer])
        publish_post(post_id=post.pk)
        clock.shift(timedelta(minutes=5))
        publish_post(post_id=post.pk)

    post.refresh_from_db()
    assert (post.status, post.external_id) == ("unknown", "")
    assert post.last_error
    assert route.call_count == 1


def test_a_connection_that_never_reached_graph_is_tried_again_after_a_wait(page, clock):
    post = due_post(page)
    with respx.mock() as router:
        route = router.post(FEED_URL).mock(
            side_effect=[
                httpx.ConnectError("refused"),
                httpx.Response(200, json={"id": "1029384756_7"}),
            ]
        )
        publish_post(post_id=post.pk)
        post.refresh_from_db()
        assert (post.status, post.attempts) == ("scheduled", 1)
        assert post.next_attempt_at == MONDAY_10 + timedelta(minutes=2)
        assert publish_post(post_id=post.pk) is None  # not before its wait
        clock.shift(timedelta(minutes=2))
        publish_post(post_id=post.pk)

    assert route.call_count == 2

    post.refresh_from_db()
    assert (post.status, post.external_id) == ("published", "1029384756_7")


def test_throttling_waits_and_a_bad_token_fails_for_good(page, clock):
    post = due_post(page)
    with respx.mock() as router:
        router.post(FEED_URL).mock(
            return_value=graph_error(32, "Page request limit reached")
        )  # fmt: skip
        publish_post(post_id=post.pk)
    post.refresh_from_db()
    assert (post.status, post.attempts) == ("scheduled", 1)

    clock.shift(timedelta(minutes=2))
    with respx.mock() as router:
        router.post(FEED_URL).mock(
            return_value=graph_error(190, "Error validating access token: Session has expired")
        )
        publish_post(post_id=post.pk)
    post.refresh_from_db()
    assert post.status == "failed"
    assert post.last_error.startswith("Facebook rechazó el token")
    assert "Session has expired" in post.last_error


def test_a_channel_without_page_id_or_token_fails_without_calling_graph(page, clock):
    SocialChannel.objects.filter(pk=page.pk).update(account="")
    post = due_post(page)
    with respx.mock(assert_all_called=False) as router:
        route = router.post(FEED_URL)
        publish_post(post_id=post.pk)

    post.refresh_from_db()
    assert (post.status, post.last_error) == (
        "failed",
        "Falta el token o el id de la página de Facebook.",
    )
    assert route.call_count == 0


# --- Token expiry -------------------------------------------------------------------------


def debug_answer(**data):
    return httpx.Response(200, json={"data": {"app_id": "42", "type": "PAGE", **data}})


def test_the_tokens_expiry_from_debug_token_raises_the_alert_days_before(page, clock, settings):
    settings.MARKETING_SOCIAL_TOKEN_WARN_DAYS = 10
    settings.MARKETING_META_APP_TOKEN = "42|app-secret"
    expires = int((MONDAY_10 + timedelta(days=6)).timestamp())
    with respx.mock() as router:
        route = router.get(DEBUG_URL).mock(
            return_value=debug_answer(is_valid=True, expires_at=expires)
        )
        assert refresh_meta_tokens() == 1

    assert dict(route.calls[0].request.url.params) == {
        "input_token": "EAAG-page-token",
        "access_token": "42|app-secret",
    }
    page.refresh_from_db()
    assert page.token_expires_at == MONDAY_10 + timedelta(days=6)
    evaluate_alerts(only={"marketing.social_token_expiry"})
    incident = Incident.objects.get(check_name="marketing.social_token_expiry")
    assert incident.title == "El token de «Escuela en Facebook» caduca en 6 días"


def test_a_token_that_never_expires_clears_the_date_and_no_alert_is_raised(page, clock):
    SocialChannel.objects.filter(pk=page.pk).update(token_expires_at=MONDAY_10)
    page.refresh_from_db()
    with respx.mock() as router:
        route = router.get(DEBUG_URL).mock(return_value=debug_answer(is_valid=True, expires_at=0))
        assert refresh_token_expiry(channel=page) is None

    assert route.calls[0].request.url.params["access_token"] == "EAAG-page-token"  # itself
    page.refresh_from_db()
    assert page.token_expires_at is None
    evaluate_alerts(only={"marketing.social_token_expiry"})
    assert not Incident.objects.filter(check_name="marketing.social_token_expiry").exists()


@pytest.mark.parametrize(
    "answer",
    [
        debug_answer(is_valid=False, expires_at=1_700_000_000),
        graph_error(190, "Error validating access token: Session has expired"),
    ],
)
def test_an_invalid_or_expired_token_counts_as_expired_now(page, clock, answer):
    with respx.mock() as router:
        router.get(DEBUG_URL).mock(return_value=answer)
        refresh_token_expiry(channel=page)

    page.refresh_from_db()
    assert page.token_expires_at == MONDAY_10
    evaluate_alerts(only={"marketing.social_token_expiry"})
    incident = Incident.objects.get(check_name="marketing.social_token_expiry")
    assert incident.title == "El token de «Escuela en Facebook» ha caducado"


def test_graph_unreachable_keeps_the_stored_expiry(page, clock):
    SocialChannel.objects.filter(pk=page.pk).update(token_expires_at=MONDAY_10 + timedelta(days=40))
    page.refresh_from_db()
    with respx.mock() as router:
        router.get(DEBUG_URL).mock(side_effect=httpx.ConnectError("down"))
        with pytest.raises(TokenCheckError):
            refresh_token_expiry(channel=page)
        assert refresh_meta_tokens() == 0  # the daily scan logs it and goes on

    page.refresh_from_db()
    assert page.token_expires_at == MONDAY_10 + timedelta(days=40)


def test_the_admin_action_reads_the_expiry_of_the_chosen_page(page, clock, client, staff_user):
    client.force_login(staff_user)
    expires = int(datetime(2027, 1, 20, tzinfo=UTC).timestamp())
    with respx.mock() as router:
        router.get(DEBUG_URL).mock(return_value=debug_answer(is_valid=True, expires_at=expires))
        response = client.post(
            "/admin/marketing/socialchannel/",
            {"action": "check_token", "_selected_action": [page.pk]},
            follow=True,
        )

    assert "el token caduca el 2027-01-20" in response.content.decode()
    page.refresh_from_db()
    assert page.token_expires_at == datetime(2027, 1, 20, tzinfo=UTC)


def test_the_page_token_in_debug_tokens_query_never_reaches_the_logs(page, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="courseops")
    with respx.mock() as router:
        router.get(DEBUG_URL).mock(return_value=debug_answer(is_valid=True, expires_at=0))
        refresh_token_expiry(channel=page)

    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert "EAAG-page-token" not in caplog.text


def test_a_publishing_error_reads_in_the_staff_language(page, clock):
    from django.utils import translation

    SocialChannel.objects.filter(pk=page.pk).update(account="")
    post = due_post(page)

    with translation.override("en"), respx.mock(assert_all_called=False):
        publish_post(post_id=post.pk)

    post.refresh_from_db()
    assert post.last_error == "The Facebook page's token or id is missing."
