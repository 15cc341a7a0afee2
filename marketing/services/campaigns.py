"""Sending a campaign: snapshot the audience once, then queue it in batches that resume
exactly, A/B test a share first and send the rest the winner (by clicks, never opens).

The checkpoint is the send: a batch locks pending recipients, puts each email in the
outbox (idempotency key per campaign and contact) and marks the recipient queued, all in
one transaction. A worker killed mid-batch rolls the whole batch back; the next run
queues exactly those contacts again, and nobody twice.
"""

import math
import operator
import re
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.models import Category
from courseops.messaging.services import queue_email
from courseops.reviews.sanitize import email_text
from marketing.automations import CAMPAIGNS
from marketing.models import Campaign, Lead, Purpose, Recipient, Segment
from marketing.offers.checkout import live_offer, offer_for_message, personal_link
from marketing.offers.models import Offer
from marketing.senders import from_email
from marketing.services.best_hour import best_hours, next_at_hour
from marketing.services.consent import preferences_url, valid_consent
from marketing.services.segments import compile_rules

TRACK_SALT = "marketing.track"
_LINK = re.compile(r'href="(https?://[^"]+)"')


class CampaignError(ValidationError):
    pass


def audience(campaign):
    """Every contact in any of the campaign's segments with a valid newsletter consent,
    as one query (the union is an OR of the segments' conditions)."""
    conditions = [
        Q(static_segments=segment)
        if segment.kind == Segment.Kind.STATIC
        else compile_rules(segment.rules)
        for segment in campaign.segments.all()
    ]
    leads = Lead.objects.filter(valid_consent(Purpose.NEWSLETTER))
    if not conditions:
        return leads.none()
    if all(conditions):  # an empty Q is "everyone": then no segment narrows it
        leads = leads.filter(reduce(operator.or_, conditions))
    return leads.distinct()


def check_ready(campaign):
    if campaign.offer_id and campaign.offer.status != Offer.Status.ACTIVE:
        raise CampaignError(_("La oferta de la campaña no está activa: apruébala antes."))
    variants = list(campaign.variants.all())
    if not 1 <= len(variants) <= 4:
        raise CampaignError(_("Una campaña lleva de 1 a 4 variantes."))
    if any(not variant.approved_body for variant in variants):
        raise CampaignError(_("Todas las variantes deben estar aprobadas en la revisión."))
    if not campaign.segments.exists():
        raise CampaignError(_("Elija al menos un segmento."))
    if len(variants) > 1 and not 1 <= campaign.test_share <= 50:
        raise CampaignError(_("El porcentaje de prueba A/B va de 1 a 50."))
    return variants


def schedule_campaign(*, campaign, user=None):
    """Approved and ready: the sweeper starts it at `send_at` (now if empty)."""
    check_ready(campaign)
    updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.SCHEDULED, send_at=campaign.send_at or timezone.now()
    )
    if updated:
        log_action(campaign, "marketing.campaign.scheduled", user=user)
    return bool(updated)


def _snapshot(campaign):
    """INSERT ... SELECT the audience as pending recipients: one statement, no rows
    through Python. The bucket (0..99) decides the A/B test group, the same on a re-run."""
    leads_sql, params = audience(campaign).order_by().values("pk").query.sql_with_params()
    table = Recipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, lead_id, bucket, status) "  # noqa: S608
            f"SELECT %s, a.pk, MOD(a.pk * 7919 + %s, 100), 'pending' FROM ({leads_sql}) a "
            # WHERE true: SQLite needs it to parse ON CONFLICT after INSERT ... SELECT.
            "WHERE true ON CONFLICT DO NOTHING",
            [campaign.pk, campaign.pk, *params],
        )


def _test_share(campaign, variants, total):
    """The share that gives each variant at least `min_sample`, never less than asked."""
    if len(variants) < 2:
        return 0
    if not total:
        return campaign.test_share
    needed = math.ceil(100 * campaign.min_sample * len(variants) / total)
    return min(100, max(campaign.test_share, needed))


def start_campaign(*, campaign, now=None):
    """Scheduled -> sending: snapshot the audience once. Returns whether it started."""
    now = now or timezone.now()
    variants = check_ready(campaign)
    with transaction.atomic():
        started = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.SENDING, started_at=now
        )
        if not started:
            return False
        _snapshot(campaign)
        total = campaign.recipients.count()
        share = _test_share(campaign, variants, total)
        campaign.effective_share = share
        campaign.phase = Campaign.Phase.TEST if share else Campaign.Phase.ALL
        campaign.status, campaign.started_at = Campaign.Status.SENDING, now
        campaign.save(update_fields=["effective_share", "phase"])
        log_action(
            campaign,
            "marketing.campaign.started",
            data={"recipients": total, "test_share": share},
        )
    return True


def _tracked(url, recipient_id):
    token = signing.dumps({"r": recipient_id, "u": url}, salt=TRACK_SALT, compress=True)
    return settings.SITE_URL + reverse("marketing:click", args=[token])


def open_pixel_url(recipient_id):
    token = signing.dumps({"r": recipient_id}, salt=TRACK_SALT)
    return settings.SITE_URL + reverse("marketing:open", args=[token])


def read_tracking_token(token):
    return signing.loads(token, salt=TRACK_SALT)


def _send_times(campaign, batch, now):
    """{recipient id: send_at} for the batch (None: as soon as possible)."""
    if campaign.schedule == Campaign.Schedule.FIXED:
        return {}
    leads = [recipient.lead for recipient in batch]
    if campaign.schedule == Campaign.Schedule.BEST_HOUR:
        hours = best_hours(leads, default_hour=campaign.local_time.hour)
    else:
        hours = {lead.pk: campaign.local_time.hour for lead in leads}
    return {
        recipient.pk: next_at_hour(
            now, hour=hours[recipient.lead_id], time_zone=recipient.lead.time_zone
        )
        for recipient in batch
    }


def render_for(recipient, variant, campaign, offer=None):
    """Subject and context of one contact's email: their name merged, links tracked, and
    the campaign's offer (when still live) with the contact's own tracked link."""
    first_name = recipient.lead.name.split()[0] if recipient.lead.name else ""
    body = variant.approved_body.replace("{nombre}", escape(first_name))
    body = _LINK.sub(lambda m: f'href="{_tracked(m.group(1), recipient.pk)}"', body)
    subject = variant.approved_subject.replace("{nombre}", first_name).strip(" ,")
    context = {
        "subject": subject,
        "preheader": campaign.preheader,
        "body_html": body,
        "body_text": email_text(body),
        "preferences_url": preferences_url(recipient.lead),
        "open_pixel_url": open_pixel_url(recipient.pk),
    }
    if offer is not None:
        link = personal_link(offer=offer, lead=recipient.lead, campaign_id=campaign.pk)
        context["offer"] = offer_for_message(offer, url=_tracked(link, recipient.pk))
    return subject, context


def idempotency_key(recipient):
    return f"marketing.campaign.{recipient.campaign_id}.lead.{recipient.lead_id}"


def _eligible(campaign):
    pending = campaign.recipients.filter(status=Recipient.Status.PENDING)
    if campaign.phase == Campaign.Phase.TEST:
        return pending.filter(bucket__lt=campaign.effective_share)
    return pending


def _variant_for(campaign, variants, recipient):
    if campaign.phase == Campaign.Phase.REST:
        return campaign.winner
    return variants[recipient.bucket % len(variants)]


def send_batch(*, campaign, now=None, limit=None):
    """Queue up to `limit` (the campaign's rate) pending recipients. Returns how many."""
    now = now or timezone.now()
    limit = limit or campaign.batch_size
    variants = list(campaign.variants.order_by("label"))
    sender = from_email(campaign)
    offer = live_offer(campaign.offer, now=now)
    with transaction.atomic():
        batch = list(
            _eligible(campaign)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("lead")
            .order_by("bucket", "pk")[:limit]
        )
        send_times = _send_times(campaign, batch, now)
        for recipient in batch:
            variant = _variant_for(campaign, variants, recipient)
            subject, context = render_for(recipient, variant, campaign, offer)
            send_at = send_times.get(recipient.pk)
            message = queue_email(
                to=recipient.lead.email,
                idempotency_key=idempotency_key(recipient),
                subject=subject,
                template="marketing/campaign",
                context=context,
                category=Category.MARKETING,
                send_at=send_at,
                language=recipient.lead.language,
                headers={"X-Campaign": str(campaign.pk)},
                related=campaign,
                from_email=sender,
                automation=CAMPAIGNS,
            )
            recipient.variant, recipient.message = variant, message
            recipient.status, recipient.queued_at = Recipient.Status.QUEUED, now
        Recipient.objects.bulk_update(batch, ["variant", "message", "status", "queued_at"])
    return len(batch)


def variant_results(campaign, *, test_only=False):
    """Per variant: sent, unique human clicks and conversions (one aggregate query)."""
    recipients = campaign.recipients.filter(status=Recipient.Status.QUEUED)
    if test_only:
        recipients = recipients.filter(bucket__lt=campaign.effective_share or 0)
    rows = recipients.values("variant_id").annotate(
        sent=Count("pk"),
        clicks=Count("pk", filter=Q(clicked_at__isnull=False)),
        conversions=Count("pk", filter=Q(converted_at__isnull=False)),
    )
    return {row["variant_id"]: row for row in rows}


def _confidence(best, runner_up, metric):
    """How sure we are the best beats the runner-up: one-sided two-proportion z-test."""
    n1, n2 = best["sent"], runner_up["sent"]
    if not n1 or not n2:
        return 0.0
    p1, p2 = best[metric] / n1, runner_up[metric] / n2
    pooled = (best[metric] + runner_up[metric]) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.5
    return 0.5 * (1 + math.erf((p1 - p2) / spread / math.sqrt(2)))


def pick_winner(*, campaign):
    """The variant with the best rate of unique human clicks (or conversions) in the test
    group. Opens play no part: machines open mail. Ties go to the earlier variant."""
    metric = campaign.winner_metric
    results = variant_results(campaign, test_only=True)
    variants = list(campaign.variants.order_by("label"))
    empty = {"sent": 0, "clicks": 0, "conversions": 0}

    def rate(variant):
        row = results.get(variant.pk, empty)
        return row[metric] / row["sent"] if row["sent"] else 0

    ranked = sorted(variants, key=lambda v: (-rate(v), v.label))
    best, runner_up = ranked[0], ranked[1]
    confidence = _confidence(results.get(best.pk, empty), results.get(runner_up.pk, empty), metric)
    note = _("%(label)s: %(rate).1f%% %(metric)s; confianza %(conf).0f%% frente a %(other)s.") % {
        "label": best.label,
        "rate": 100 * rate(best),
        "metric": campaign.get_winner_metric_display().lower(),
        "conf": 100 * confidence,
        "other": runner_up.label,
    }
    return best, note


def _extend_test(campaign, now):
    """The test ends `test_wait_hours` after its last email is due to go out (at 10:00
    local, that may be tomorrow), never counting the wait from the queuing."""
    last_send = campaign.recipients.filter(status=Recipient.Status.QUEUED).aggregate(
        last=Max("message__send_at")
    )["last"]
    ends = max(now, last_send or now) + timedelta(hours=campaign.test_wait_hours)
    if campaign.test_ends_at is None or ends > campaign.test_ends_at:
        campaign.test_ends_at = ends
        campaign.save(update_fields=["test_ends_at"])


def advance_campaign(*, campaign_id, now=None):
    """One step of a sending campaign (run every minute by the sweeper): a batch, the
    winner when the test has waited long enough, or the end."""
    now = now or timezone.now()
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != Campaign.Status.SENDING:
        return 0
    sent = send_batch(campaign=campaign, now=now)
    if sent or _eligible(campaign).exists():
        if sent and campaign.phase == Campaign.Phase.TEST:
            _extend_test(campaign, now)
        return sent
    if campaign.phase == Campaign.Phase.TEST:
        if campaign.test_ends_at and now < campaign.test_ends_at:
            return 0
        winner, note = pick_winner(campaign=campaign)
        Campaign.objects.filter(pk=campaign.pk, phase=Campaign.Phase.TEST).update(
            winner=winner, winner_note=note, phase=Campaign.Phase.REST
        )
        log_action(campaign, "marketing.campaign.winner", data={"variant": winner.label})
        return 0
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.SENT, finished_at=now
    )
    log_action(campaign, "marketing.campaign.sent")
    return 0


def run_campaigns(*, now=None):
    """Every minute: start the campaigns that are due, advance the ones sending."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now)
    for campaign in due:
        start_campaign(campaign=campaign, now=now)
    sending = Campaign.objects.filter(status=Campaign.Status.SENDING).values_list("pk", flat=True)
    return sum(advance_campaign(campaign_id=pk, now=now) for pk in sending)


def set_paused(*, campaign, paused, user=None):
    """Pause or resume: a paused campaign queues nothing more; resuming picks up exactly
    where the last committed batch ended."""
    old, new = (
        (Campaign.Status.SENDING, Campaign.Status.PAUSED)
        if paused
        else (Campaign.Status.PAUSED, Campaign.Status.SENDING)
    )
    updated = Campaign.objects.filter(pk=campaign.pk, status=old).update(status=new)
    if updated:
        log_action(campaign, f"marketing.campaign.{'paused' if paused else 'resumed'}", user=user)
    return bool(updated)
