"""Turn what the checks see into incidents: one alert when a problem appears, one
resolution notice when it clears, however many times the evaluation runs in between."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseops.audit.services import log_action
from courseops.core.logging import get_logger
from courseops.operations.alerts.registry import registered_checks
from courseops.operations.models import Incident

logger = get_logger(__name__)

OPENED = "opened"
RESOLVED = "resolved"


def _notify_on_commit(incident_pk, event):
    from courseops.operations.tasks import notify_incident

    transaction.on_commit(lambda: notify_incident.delay(incident_pk, event))


def _findings(check, now):
    """{key: Finding}, or None when the check itself broke (its incidents stay as they are:
    a broken check is no evidence that the problem went away)."""
    try:
        return {finding.key: finding for finding in check.run(now)}
    except Exception:  # one broken check must not stop the others from being evaluated
        logger.exception("alerts.check_failed", check=check.name)
        return None


def _open(check, finding, now):
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                check_name=check.name,
                key=finding.key,
                title=finding.title[:255],
                detail=finding.detail,
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        return None  # another evaluation opened it a moment ago; that one notifies
    log_action(incident, "operations.incident.opened", data={"check": check.name})
    _notify_on_commit(incident.pk, OPENED)
    return incident


def _resolve(incident, now):
    resolved = Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
        resolved_at=now, last_seen_at=now
    )
    if not resolved:
        return False
    log_action(incident, "operations.incident.resolved", data={"check": incident.check_name})
    _notify_on_commit(incident.pk, RESOLVED)
    return True


def evaluate_alerts(*, now=None, only=None):
    """Run every registered check (or those named in `only`); returns (opened, resolved)."""
    now = now or timezone.now()
    checks = registered_checks()
    if only is not None:
        checks = {name: check for name, check in checks.items() if name in only}
    open_incidents = {}
    for incident in Incident.objects.filter(resolved_at__isnull=True, check_name__in=checks):
        open_incidents.setdefault(incident.check_name, {})[incident.key] = incident

    opened, resolved, still_open = [], [], []
    for check in checks.values():
        findings = _findings(check, now)
        if findings is None:
            continue
        current = open_incidents.get(check.name, {})
        for key, finding in findings.items():
            if key in current:
                # Same incident: keep its numbers current for staff, notify nobody.
                incident = current[key]
                incident.title, incident.detail = finding.title[:255], finding.detail
                incident.last_seen_at = now
                still_open.append(incident)
            elif (incident := _open(check, finding, now)) is not None:
                opened.append(incident)
        for key, incident in current.items():
            if key not in findings and _resolve(incident, now):
                resolved.append(incident)
    if still_open:
        Incident.objects.bulk_update(still_open, ["title", "detail", "last_seen_at"])
    return opened, resolved
