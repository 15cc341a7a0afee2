"""Turn what the checks see into incidents: one alert when a problem appears, one
resolution notice when it clears, however many times the evaluation runs in between."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from courseops.audit.services import log_action
from courseops.core import pending
from courseops.core.logging import get_logger
from courseops.operations.alerts.registry import NotReady, registered_checks
from courseops.operations.models import SEVERITY_ORDER, Incident

logger = get_logger(__name__)

OPENED = "opened"
RESOLVED = "resolved"


def _notify_on_commit(incident_pk, event):
    from courseops.operations.tasks import notify_incident

    transaction.on_commit(lambda: notify_incident.delay(incident_pk, event))


def notify_due():
    """The sweeper: incidents whose notice was not sent yet (a lost task) are notified
    again; a resolved one gets its resolution (which makes sure the alert went first).
    Returns how many."""
    from courseops.operations.tasks import notify_incident

    pks = pending.take_due(Incident.objects.all(), "notify_due_since")
    resolved = set(
        Incident.objects.filter(pk__in=pks, resolved_at__isnull=False).values_list("pk", flat=True)
    )
    for pk in pks:
        notify_incident.delay(pk, RESOLVED if pk in resolved else OPENED)
    return len(pks)


def _findings(check, now):
    """{key: Finding}, or None when the check itself broke (its incidents stay as they are:
    a broken check is no evidence that the problem went away)."""
    try:
        return {finding.key: finding for finding in check.run(now)}
    except NotReady:
        logger.info("alerts.check_not_ready", check=check.name)
        return None
    except Exception:  # one broken check must not stop the others from being evaluated
        logger.exception("alerts.check_failed", check=check.name)
        return None


def _severity(check, finding):
    return finding.severity or check.severity


def _open(check, finding, now):
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                check_name=check.name,
                key=finding.key,
                severity=_severity(check, finding),
                title=finding.title[:255],
                detail=finding.detail,
                opened_at=now,
                last_seen_at=now,
                # The notice's mark is the record (a sweeper finds it if the task is lost).
                notify_due_since=timezone.now(),
            )
    except IntegrityError:
        return None  # another evaluation opened it a moment ago; that one notifies
    log_action(incident, "operations.incident.opened", data={"check": check.name})
    _notify_on_commit(incident.pk, OPENED)
    return incident


def _resolve(incident, now):
    resolved = Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
        resolved_at=now, last_seen_at=now, notify_due_since=timezone.now()
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
                incident.severity = _severity(check, finding)
                incident.last_seen_at = now
                still_open.append(incident)
            elif (incident := _open(check, finding, now)) is not None:
                opened.append(incident)
        for key, incident in current.items():
            if key not in findings and _resolve(incident, now):
                resolved.append(incident)
    if still_open:
        Incident.objects.bulk_update(still_open, ["title", "detail", "severity", "last_seen_at"])
    return opened, resolved


def incidents_acknowledge(*, incidents, user, now=None):
    """Staff say they are on it: the incidents stay open (the check resolves them) and
    show who took them. Returns how many were not acknowledged before."""
    now = now or timezone.now()
    changed = 0
    for incident in incidents.filter(acknowledged_at__isnull=True):
        incident.acknowledged_at, incident.acknowledged_by = now, user
        incident.save(update_fields=["acknowledged_at", "acknowledged_by"])
        log_action(incident, "operations.incident.acknowledged", user=user)
        changed += 1
    return changed


def incidents_snooze(*, incidents, user, until):
    """Hide open incidents from the dashboard until `until` (they come back then if the
    check still sees the problem); snoozing implies acknowledging."""
    now = timezone.now()
    incidents_acknowledge(incidents=incidents, user=user, now=now)
    changed = 0
    for incident in incidents.filter(resolved_at__isnull=True):
        incident.snoozed_until = until
        incident.save(update_fields=["snoozed_until"])
        log_action(
            incident, "operations.incident.snoozed", user=user, data={"until": until.isoformat()}
        )
        changed += 1
    return changed


def open_incidents_for_dashboard(now=None):
    """(shown, snoozed count): open incidents not snoozed, most severe first. One query."""
    now = now or timezone.now()
    incidents = list(
        Incident.objects.filter(resolved_at__isnull=True).select_related("acknowledged_by")
    )
    shown = [incident for incident in incidents if not incident.is_snoozed(now)]
    shown.sort(key=lambda i: (SEVERITY_ORDER.get(i.severity, 9), -i.opened_at.timestamp()))
    return shown, len(incidents) - len(shown)
