from celery import shared_task
from django.conf import settings

from courseops.operations.alerts import notify, services
from courseops.operations.backups.services import create_backup
from courseops.operations.privacy.retention import apply_retention as apply_retention_rules


@shared_task(name="operations.evaluate_alerts", ignore_result=True)
def evaluate_alerts():
    """Every minute: open or resolve incidents from what the alert checks see."""
    services.evaluate_alerts()


@shared_task(
    name="operations.notify_incident",
    ignore_result=True,
    autoretry_for=(notify.SlackUnavailable,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def notify_incident(incident_id, event):
    notify.notify_incident(incident_id=incident_id, event=event)


@shared_task(name="operations.notify_due_incidents", ignore_result=True)
def notify_due_incidents():
    services.notify_due()


@shared_task(name="operations.refresh_kpis", ignore_result=True)
def refresh_kpis(first=None, last=None):
    """Every few minutes: the dashboard's figures for the standard periods, into the cache;
    with `first` and `last` (ISO dates), the one period a visit found without figures."""
    from datetime import date

    from courseops.operations.kpis import snapshot
    from courseops.operations.kpis.services import Period

    period = Period(date.fromisoformat(first), date.fromisoformat(last)) if first else None
    snapshot.refresh(period=period)


@shared_task(name="operations.backup", ignore_result=True)
def backup():
    """Nightly: an encrypted backup to the backup storage, keeping the newest BACKUP_KEEP."""
    create_backup(keep=settings.BACKUP_KEEP)


@shared_task(name="operations.apply_retention", ignore_result=True)
def apply_retention():
    """Nightly: blank personal data past its retention period (set-based, per rule)."""
    apply_retention_rules()
