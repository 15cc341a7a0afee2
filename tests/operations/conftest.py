import pytest
import respx
from httpx import Response

SLACK_URL = "https://hooks.slack.example.com/services/T000/B000/XXXX"


@pytest.fixture(autouse=True)
def _alert_destinations(settings):
    settings.ALERTS_EMAILS = ["ops@example.com"]
    settings.ALERTS_SLACK_WEBHOOK_URL = SLACK_URL


@pytest.fixture
def slack():
    """The Slack incoming webhook, faked at httpx's transport; `slack.calls` are the posts."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        route = router.post(SLACK_URL).mock(return_value=Response(200, text="ok"))
        yield route
