"""Retention: personal data that has served its purpose is blanked after a set period.

Each rule is one set-based UPDATE over the rows older than its cutoff, so the nightly run
costs a constant number of queries. The core's rules are here; a domain app adds its own
in its `privacy.py`:

    @retention_rule("marketing.inactive_leads", "RETENTION_INACTIVE_LEAD_DAYS")
    def anonymise_inactive_leads(cutoff): return <rows touched>

A period of 0 days turns a rule off.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from courseops.messaging.models import PENDING, OutboundMessage, Status
from courseops.webhooks.models import WebhookEvent


@dataclass(frozen=True)
class RetentionRule:
    name: str
    setting: str
    apply: Callable[[datetime], int]


_RULES: dict[str, RetentionRule] = {}


def retention_rule(name: str, setting: str):
    def register(fn):
        _RULES[name] = RetentionRule(name=name, setting=setting, apply=fn)
        return fn

    return register


def registered_rules() -> list[RetentionRule]:
    from courseops.operations.privacy.registry import registered_parts

    registered_parts()  # imports every app's privacy.py, where their rules live
    return list(_RULES.values())


def apply_retention(now=None) -> dict[str, int]:
    """Run every rule whose period is set; returns rows touched per rule."""
    now = now or timezone.now()
    done = {}
    for rule in registered_rules():
        days = getattr(settings, rule.setting)
        if days > 0:
            done[rule.name] = rule.apply(now - timedelta(days=days))
    return done


@retention_rule("webhooks.raw_payloads", "RETENTION_WEBHOOK_PAYLOAD_DAYS")
def blank_old_webhook_payloads(cutoff):
    """Handled events keep their type, status and ids; the raw body and payload go."""
    return (
        WebhookEvent.objects.filter(
            received_at__lt=cutoff,
            status__in=[WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED],
        )
        .exclude(body="")
        .update(body="", payload={"expired": True}, headers={})
    )


@retention_rule("messaging.bodies", "RETENTION_MESSAGE_BODY_DAYS")
def blank_old_message_bodies(cutoff):
    """Finished messages keep recipient, status and dates (delivery figures); the text goes."""
    return (
        OutboundMessage.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=[*PENDING, Status.SENDING])
        .filter(~Q(text_body="") | ~Q(html_body=""))
        .update(text_body="", html_body="", context={}, attachments=[])
    )
