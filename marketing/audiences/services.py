"""Sync an audience: who should be in it now (the segment, with a valid newsletter
consent: marketing consent) against who the platform has (our member rows), sending only
the differences. Withdrawn consent, a suppression or leaving the segment removes the
contact at the next sync."""

import hashlib
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from marketing.audiences.models import AdAudience, AudienceMember, AudienceSync
from marketing.audiences.providers import PROVIDERS, AudienceError
from marketing.models import Purpose
from marketing.services.consent import valid_consent
from marketing.services.segments import segment_leads


def normalised_email(email):
    return email.strip().lower()


def normalised_phone(phone):
    """Meta's format: digits only, with the country code, no "+" or leading zeros."""
    return "".join(ch for ch in phone if ch.isdigit()).lstrip("0")


def sha256(value):
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


def sync_audience(*, audience, now=None):
    """One sync; returns its log row. A failure changes nothing here (the next sync sends
    the same difference again)."""
    now = now or timezone.now()
    log = AudienceSync(audience=audience, started_at=now, status=AudienceSync.Status.OK)
    provider = PROVIDERS[audience.provider]
    wanted = {
        lead_id: (sha256(normalised_email(email)), sha256(normalised_phone(phone)))
        for lead_id, email, phone in segment_leads(audience.segment)
        .filter(valid_consent(Purpose.NEWSLETTER))
        .values_list("pk", "email", "phone")
    }
    have = dict(AudienceMember.objects.filter(audience=audience).values_list("email_hash", "pk"))
    wanted_hashes = {email_hash for email_hash, _phone in wanted.values()}
    add = {lead_id: hashes for lead_id, hashes in wanted.items() if hashes[0] not in have}
    remove = [email_hash for email_hash in have if email_hash not in wanted_hashes]
    try:
        if not audience.external_id:
            audience.external_id = provider.create(audience)
            audience.save(update_fields=["external_id"])
        if add:
            provider.change(audience, [list(h) for h in add.values()], remove=False)
        if remove:
            provider.change(audience, [[email_hash, ""] for email_hash in remove], remove=True)
    except AudienceError as exc:
        log.status, log.error = AudienceSync.Status.FAILED, str(exc)
    else:
        with transaction.atomic():
            AudienceMember.objects.bulk_create(
                AudienceMember(
                    audience=audience, lead_id=lead_id, email_hash=e, phone_hash=p, added_at=now
                )
                for lead_id, (e, p) in add.items()
            )
            AudienceMember.objects.filter(audience=audience, email_hash__in=remove).delete()
            audience.last_synced_at = now
            audience.save(update_fields=["last_synced_at"])
        log.added, log.removed = len(add), len(remove)
    log.finished_at = timezone.now()
    log.save()
    return log


def sync_all(*, now=None):
    return [sync_audience(audience=a, now=now) for a in AdAudience.objects.filter(active=True)]


def forget_in_audiences(*, leads, email, now=None):
    """An erasure: remove the person's hashes from every audience they were synced to,
    before their lead is anonymised. Each audience gets a log row saying one person was
    removed (no hash, no lead). When the platform fails, the member rows stay, so the
    next sync (the anonymised lead is no longer wanted) removes them again.
    Returns what the erasure record keeps about the platforms' answers."""
    now = now or timezone.now()
    # Ids as values, so that each side of the OR has its index (the hash's is the unique
    # (audience, email hash) one): the same cost among a thousand people or a hundred thousand.
    audiences = list(AdAudience.objects.values_list("pk", flat=True))
    members = AudienceMember.objects.filter(
        Q(lead__in=list(leads.values_list("pk", flat=True)))
        | Q(audience__in=audiences, email_hash=sha256(normalised_email(email)))
    ).select_related("audience")
    by_audience = defaultdict(list)
    for member in members:
        by_audience[member.audience].append(member)
    removed, failed = 0, []
    for audience, rows in by_audience.items():
        log = AudienceSync(
            audience=audience,
            started_at=now,
            reason=AudienceSync.Reason.ERASURE,
            status=AudienceSync.Status.OK,
        )
        try:
            if audience.external_id:  # never created there: nobody to remove
                PROVIDERS[audience.provider].change(
                    audience, [[m.email_hash, m.phone_hash] for m in rows], remove=True
                )
        except AudienceError as exc:
            log.status, log.error = AudienceSync.Status.FAILED, str(exc)
            failed.append(audience.pk)
        else:
            AudienceMember.objects.filter(pk__in=[m.pk for m in rows]).delete()
            log.removed = len(rows)
            removed += 1
        log.finished_at = timezone.now()
        log.save()
    if not by_audience:
        return {}
    answer = f"quitado de {removed} público(s)"
    if failed:
        answer += f"; error en {len(failed)} (se reintenta al sincronizar)"
    return {"ad_audiences": answer}
