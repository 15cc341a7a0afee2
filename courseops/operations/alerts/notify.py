"""Tell staff about an incident: email through the outbox and a Slack-compatible incoming
webhook (Slack, Mattermost, Rocket.Chat and Discord's /slack endpoint all take `{"text"}`).

Both are sent once per incident and event: emails by the outbox's idempotency key, Slack
by claiming the incident's `slack_*_at` column before posting. Slack is the channel that
still works when the outbox itself is the problem.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.core import http, pending
from courseops.core.logging import get_logger
from courseops.messaging.services import queue_email
from courseops.operations.alerts.services import OPENED, RESOLVED
from courseops.operations.models import Incident

logger = get_logger(__name__)


class SlackUnavailable(Exception):
    """A transient failure (timeout, 5xx, 429): worth retrying."""


def _subject(incident, event):
    if event == OPENED:
        return _("[CourseOps] Alerta: %(title)s") % {"title": incident.title}
    return _("[CourseOps] Resuelto: %(title)s") % {"title": incident.title}


def _text(incident, event):
    admin_url = f"{settings.SITE_URL}/admin/operations/incident/{incident.pk}/change/"
    lines = [_subject(incident, event), ""]
    if incident.detail:
        lines += [incident.detail, ""]
    lines.append(_("Abierta: %(when)s UTC") % {"when": f"{incident.opened_at:%Y-%m-%d %H:%M}"})
    if event != OPENED and incident.resolved_at:
        lines.append(
            _("Resuelta: %(when)s UTC") % {"when": f"{incident.resolved_at:%Y-%m-%d %H:%M}"}
        )
    lines.append(admin_url)
    return "\n".join(lines)


def email_incident(incident, event):
    for address in settings.ALERTS_EMAILS:
        queue_email(
            to=address,
            idempotency_key=f"alert:{incident.pk}:{event}:{address}",
            subject=_subject(incident, event),
            text=_text(incident, event),
            related=incident,
        )


def _claim_slack(incident, event):
    column = "slack_opened_at" if event == OPENED else "slack_resolved_at"
    return Incident.objects.filter(pk=incident.pk, **{f"{column}__isnull": True}).update(
        **{column: timezone.now()}
    ), column


def post_to_slack(incident, event):
    """Post once; a transient failure releases the claim and raises SlackUnavailable."""
    url = settings.ALERTS_SLACK_WEBHOOK_URL
    if not url:
        return False
    claimed, column = _claim_slack(incident, event)
    if not claimed:
        return False
    try:
        response = http.request(
            "POST",
            url,
            json={"text": _text(incident, event)},
            timeout=settings.ALERTS_SLACK_TIMEOUT_SECONDS,
        )
    except http.HTTPError as exc:
        Incident.objects.filter(pk=incident.pk).update(**{column: None})
        raise SlackUnavailable(str(exc)) from exc
    if response.status_code == 429 or response.status_code >= 500:
        Incident.objects.filter(pk=incident.pk).update(**{column: None})
        raise SlackUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        # A wrong or revoked URL: retrying cannot help, the admin still shows the incident.
        logger.error("alerts.slack_rejected", status=response.status_code, incident=incident.pk)
        return False
    return True


def notify_incident(*, incident_id, event):
    """Email and Slack, each once per incident and event. A resolution first makes sure
    the alert itself went (its task may have been lost). The incident's mark then goes,
    unless it was marked again meanwhile."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return
    seen = incident.notify_due_since
    for each in (OPENED, RESOLVED) if event == RESOLVED else (event,):
        email_incident(incident, each)
        post_to_slack(incident, each)
    pending.done(incident, "notify_due_since", seen)
