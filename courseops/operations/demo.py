"""Demo incidents: one resolved last week, so staff see what an alert's history looks like."""

from datetime import timedelta

from django.utils import timezone

from courseops.core.demo import register
from courseops.operations.models import Incident


@register
def load_operations_demo(*, staff):
    opened = timezone.now() - timedelta(days=6)
    Incident.objects.get_or_create(
        check_name="messaging.outbox_stuck",
        key="demo",
        defaults={
            "title": "Bandeja de salida atascada: 12 mensajes sin enviar",
            "detail": "Llevan más de 15 min vencidos. ¿Está parado el worker?",
            "opened_at": opened,
            "last_seen_at": opened + timedelta(minutes=40),
            "resolved_at": opened + timedelta(minutes=41),
        },
    )
