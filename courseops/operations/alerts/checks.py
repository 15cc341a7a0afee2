"""The core's alert checks. Each runs a few indexed, set-based queries whatever the size
of the tables, because the evaluation runs every minute."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Count, Max, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_celery_beat.models import PeriodicTask

from courseops.ai import budget
from courseops.core import heartbeat
from courseops.messaging.models import PENDING, Channel, OutboundMessage, Status
from courseops.messaging.providers.email import provider_name
from courseops.operations.alerts.registry import Finding, NotReady, alert_check
from courseops.operations.kpis import snapshot
from courseops.operations.kpis.services import current_period
from courseops.webhooks.models import WebhookEvent


@alert_check(
    "webhooks.handler_failures",
    gettext_lazy("Manejadores de webhooks fallando"),
    severity="critical",
)
def webhook_handlers_failing(now):
    """Events that failed for good, or keep failing, per provider."""
    since = now - timedelta(hours=settings.ALERTS_WEBHOOK_FAILURE_WINDOW_HOURS)
    failing = (
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.Status.FAILED, received_at__gte=since)
            | Q(status=WebhookEvent.Status.RETRYING, attempts__gte=3)
        )
        .values("provider")
        .annotate(events=Count("pk"), last_error=Max("last_error"))
        .order_by("provider")
    )
    for row in failing:
        yield Finding(
            key=row["provider"],
            title=ngettext(
                "Webhooks de %(provider)s fallando (%(count)d evento)",
                "Webhooks de %(provider)s fallando (%(count)d eventos)",
                row["events"],
            )
            % {"provider": row["provider"], "count": row["events"]},
            detail=_("Un error: %(error)s") % {"error": row["last_error"][:500]},
        )


@alert_check("webhooks.provider_silent", gettext_lazy("Proveedor en silencio"), severity="warning")
def providers_silent(now):
    """A provider that usually sends webhooks and has gone quiet for much longer than its
    average gap (its integration may have been disabled on the vendor's side)."""
    days = settings.ALERTS_PROVIDER_BASELINE_DAYS
    rows = (
        WebhookEvent.objects.filter(received_at__gte=now - timedelta(days=days))
        .values("provider")
        .annotate(events=Count("pk"), last=Max("received_at"))
        .order_by("provider")
    )
    minimum = timedelta(hours=settings.ALERTS_PROVIDER_MIN_SILENCE_HOURS)
    for row in rows:
        if row["events"] < settings.ALERTS_PROVIDER_MIN_EVENTS:
            continue
        usual_gap = timedelta(days=days) / row["events"]
        allowed = max(minimum, usual_gap * settings.ALERTS_PROVIDER_SILENCE_FACTOR)
        silent = now - row["last"]
        if silent > allowed:
            yield Finding(
                key=row["provider"],
                title=_("%(provider)s no envía webhooks desde hace %(hours)d h")
                % {"provider": row["provider"], "hours": silent.total_seconds() // 3600},
                detail=_("Lo normal es uno cada %(minutes)d min (%(count)d en %(days)d días).")
                % {
                    "minutes": usual_gap.total_seconds() // 60,
                    "count": row["events"],
                    "days": days,
                },
            )


@alert_check(
    "messaging.outbox_stuck", gettext_lazy("Bandeja de salida atascada"), severity="critical"
)
def outbox_stuck(now):
    """Messages due long ago that no worker sent, or sends that never finished."""
    cutoff = now - timedelta(minutes=settings.ALERTS_OUTBOX_STUCK_MINUTES)
    stuck = OutboundMessage.objects.filter(
        Q(status__in=PENDING, next_attempt_at__lte=cutoff)
        | Q(status=Status.SENDING, claimed_at__lte=cutoff)
    ).count()
    if stuck:
        yield Finding(
            title=ngettext(
                "Bandeja de salida atascada: %(count)d mensaje sin enviar",
                "Bandeja de salida atascada: %(count)d mensajes sin enviar",
                stuck,
            )
            % {"count": stuck},
            detail=_("Llevan más de %(minutes)d min vencidos. ¿Está parado el worker?")
            % {"minutes": settings.ALERTS_OUTBOX_STUCK_MINUTES},
        )


FINISHED = (Status.SENT, Status.DELIVERED, Status.BOUNCED, Status.COMPLAINED, Status.FAILED)
FAILED = (Status.FAILED, Status.BOUNCED)


@alert_check("messaging.outbox_failing", gettext_lazy("Envíos fallando"), severity="critical")
def outbox_failing(now):
    """The failure rate among the latest finished messages (by id: the primary key's index
    serves it on any table size)."""
    statuses = list(
        OutboundMessage.objects.filter(status__in=FINISHED, created_at__gte=now - timedelta(days=1))
        .order_by("-id")
        .values_list("status", flat=True)[: settings.ALERTS_OUTBOX_FAILURE_SAMPLE]
    )
    if len(statuses) < settings.ALERTS_OUTBOX_FAILURE_MIN_MESSAGES:
        return
    counts = Counter(statuses)
    failed = sum(counts[status] for status in FAILED)
    rate = failed / len(statuses)
    if rate > settings.ALERTS_OUTBOX_FAILURE_RATE:
        yield Finding(
            title=_("%(rate)d%% de los últimos envíos fallaron") % {"rate": round(rate * 100)},
            detail=_("%(failed)d de %(total)d mensajes fallidos o rebotados.")
            % {"failed": failed, "total": len(statuses)},
        )


@alert_check(
    "messaging.email_failover",
    gettext_lazy("Email saliendo por el proveedor de respaldo"),
    severity="warning",
)
def email_failing_over(now):
    """Mail leaving through EMAIL_FAILOVER_BACKEND means the primary is failing. Among the
    latest sent emails (by id, as above), those of the last hour that took the secondary."""
    if not settings.EMAIL_FAILOVER_BACKEND:
        return
    secondary = provider_name(get_connection(settings.EMAIL_FAILOVER_BACKEND))
    recent = list(
        OutboundMessage.objects.filter(channel=Channel.EMAIL, sent_at__isnull=False)
        .order_by("-id")
        .values_list("provider", "sent_at")[: settings.ALERTS_OUTBOX_FAILURE_SAMPLE]
    )
    since = now - timedelta(hours=1)
    failed_over = sum(1 for name, sent_at in recent if name == secondary and sent_at >= since)
    if failed_over:
        primary = provider_name(get_connection())
        yield Finding(
            title=_("El proveedor de email %(primary)s está fallando") % {"primary": primary},
            detail=ngettext(
                "%(count)d email de la última hora salió por %(secondary)s.",
                "%(count)d emails de la última hora salieron por %(secondary)s.",
                failed_over,
            )
            % {"count": failed_over, "secondary": secondary},
        )


@alert_check("ai.budget", gettext_lazy("Presupuesto de IA"), severity="warning")
def ai_budget_nearly_spent(now):
    limit = budget.daily_limit()
    spent = budget.spent_today()
    if limit > 0 and spent >= limit * Decimal(str(settings.ALERTS_AI_BUDGET_RATIO)):
        yield Finding(
            title=_("Presupuesto diario de IA casi agotado: %(spent).2f de %(limit).2f USD")
            % {"spent": spent, "limit": limit},
            detail=_("Al agotarse, la IA pasa a modo %(mode)s hasta mañana (UTC).")
            % {"mode": settings.AI_OVER_BUDGET},
        )


@alert_check(
    "core.periodic_late", gettext_lazy("Tareas periódicas con retraso"), severity="warning"
)
def periodic_tasks_late(now):
    """Enabled schedules whose next run is overdue by more than the grace period."""
    grace = timedelta(seconds=settings.ALERTS_PERIODIC_GRACE_SECONDS)
    tasks = PeriodicTask.objects.filter(enabled=True, one_off=False).select_related(
        "interval", "crontab", "solar", "clocked"
    )
    for task in tasks:
        if task.clocked_id:
            continue
        last = task.last_run_at or task.date_changed
        late_by = -task.schedule.remaining_estimate(last)
        if late_by > grace:
            yield Finding(
                key=task.name,
                title=_("La tarea periódica %(name)s no se ha ejecutado a tiempo")
                % {"name": task.name},
                detail=_("Última ejecución: %(last)s; lleva %(minutes)d min de retraso.")
                % {
                    "last": f"{task.last_run_at:%Y-%m-%d %H:%M} UTC"
                    if task.last_run_at
                    else _("nunca"),
                    "minutes": late_by.total_seconds() // 60,
                },
            )


@alert_check("core.heartbeats", gettext_lazy("Worker o beat sin latido"), severity="critical")
def processes_silent(now):
    for process in (heartbeat.WORKER, heartbeat.BEAT):
        age = heartbeat.seconds_since(process)
        if age is None or age > settings.HEALTH_HEARTBEAT_MAX_AGE:
            yield Finding(
                key=process,
                title=_("El proceso %(process)s no da señales de vida") % {"process": process},
                detail=_("Nunca visto.")
                if age is None
                else _("Visto por última vez hace %(seconds)d s.") % {"seconds": age},
            )


def _figure(value, unit):
    return f"{number_format(round(value, 1), 1)} {unit}".strip()


@alert_check(
    "operations.kpi_targets", gettext_lazy("Indicador por debajo del objetivo"), severity="info"
)
def kpis_missing_targets(now):
    """One incident per KPI whose figure for the dashboard's default period (the last 30
    days) misses its target; it resolves when the figure is back on target. It reads the
    figures the dashboard shows (the snapshot `operations.refresh_kpis` keeps), so it
    costs the targets' query whatever the data; with no snapshot yet it is not ready (its
    incidents stay as they are) and the snapshot is queued."""
    period = current_period(now)
    figures = snapshot.load(period, now)
    if figures.pending:
        raise NotReady
    for row in figures.missed:
        yield Finding(
            key=row.kpi.key,
            title=_("«%(kpi)s» no alcanza el objetivo: %(value)s (objetivo %(target)s)")
            % {
                "kpi": row.kpi.label,
                "value": _figure(row.value, row.kpi.unit),
                "target": _figure(row.target, row.kpi.unit),
            },
            detail=_("Periodo del %(first)s al %(last)s; el panel de indicadores lo detalla.")
            % {"first": period.first.isoformat(), "last": period.last.isoformat()},
        )
