"""The reminder scan and what each registrant receives.

The scan is a fixed number of queries whatever the number of webinars or registrants:
one set-based SELECT of due (registration, reminder) pairs, one bulk INSERT of
`ReminderDelivery` rows (unique per pair: a second scan, concurrent or later, inserts
nothing), one UPDATE re-claiming rows whose task was lost, one SELECT of the rows this
scan holds; then one task per chunk queues the messages. Outbox idempotency keys make a
re-run chunk (its worker died) queue nothing twice.

A reminder is due from `start - offset` until the next reminder of the schedule is due
(or the start): a scan that was down, or a 7-day text approved late, never sends a stale
reminder on top of the next one. A registration made after a reminder's time gets only
the ones still ahead. A 7-day reminder whose AI text is never approved is never sent.
"""

import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from courseops.ai import generate
from courseops.core import liveness, pending
from courseops.core.routing import reminder_send_options
from courseops.messaging.models import OutboundMessage, Status
from courseops.messaging.services import queue_email, queue_push, queue_sms
from courseops.messaging.services.policy import quiet_hours_end
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.services import create_draft, withdraw_if_stale
from webinars.automations import REMINDERS
from webinars.models import Registration, Reminder, ReminderDelivery, Webinar
from webinars.services import owed
from webinars.services.text import local_when, registrant_context

SCAN_LIMIT = 5000
CHUNK = 250
# A chunk whose task never started (the broker lost it with a killed worker, or it is
# still queued) is handed out again after this, at the next minute's scan; a second task
# for the same rows queues nothing twice (outbox idempotency keys). A chunk whose worker
# died is handed out at once (liveness).
CLAIM_LEASE = timedelta(minutes=1)
SKIP = object()
WORKER_LOST_STARTED = _lazy("el worker se detuvo y el webinar ya había empezado")
WORKER_LOST_NEXT_DUE = _lazy("el worker se detuvo y ya tocaba el siguiente recordatorio")
NO_LONGER_DUE = "no longer due (cancelled, moved or disabled)"
NEXT_DUE = _lazy("ya tocaba el siguiente recordatorio")
# What a reminder's message may end in without leaving, once it was queued.
NOT_SENT = (Status.CANCELED, Status.DROPPED)


def due_pairs(now):
    """(registration id, reminder id, webinar sequence) due at `now`, in one query."""
    # Filters on the multi-valued `webinar__reminders` go through aliases so they all
    # use one join (a second filter() call would join the reminders table again).
    next_offset = Subquery(
        Reminder.objects.filter(
            webinar_id=OuterRef("webinar_id"), active=True, offset__lt=OuterRef("r_offset")
        )
        .order_by("-offset")
        .values("offset")[:1],
        output_field=DurationField(),
    )
    return (
        Registration.objects.filter(
            cancelled_at__isnull=True,
            webinar__status=Webinar.Status.SCHEDULED,
            webinar__starts_at__gt=now,
        )
        .annotate(r_id=F("webinar__reminders__pk"))
        .alias(
            r_offset=F("webinar__reminders__offset"),
            r_active=F("webinar__reminders__active"),
            r_ai=F("webinar__reminders__uses_ai_text"),
            r_text=F("webinar__reminders__approved_body"),
        )
        .alias(
            due_at=ExpressionWrapper(
                F("webinar__starts_at") - F("r_offset"), output_field=DateTimeField()
            ),
            window_end=ExpressionWrapper(
                F("webinar__starts_at")
                - Coalesce(next_offset, Value(timedelta(0)), output_field=DurationField()),
                output_field=DateTimeField(),
            ),
        )
        .filter(r_active=True, due_at__lte=now, window_end__gt=now, created_at__lte=F("due_at"))
        .filter(Q(r_ai=False) | ~Q(r_text=""))
        # NOT EXISTS on the (registration, reminder) unique index: one probe per pair.
        .exclude(
            Exists(
                ReminderDelivery.objects.filter(
                    registration_id=OuterRef("pk"), reminder_id=OuterRef("r_id")
                )
            )
        )
        .values_list("pk", "r_id", "webinar__ics_sequence")
        .order_by()
    )


def scan_due_reminders(*, now=None) -> int:
    """Claim due reminders and hand them to workers in chunks; returns how many."""
    from webinars.tasks import deliver_reminder_chunk

    now = now or timezone.now()
    claim = uuid.uuid4()
    pairs = list(due_pairs(now)[:SCAN_LIMIT])
    with transaction.atomic():
        ReminderDelivery.objects.bulk_create(
            [
                ReminderDelivery(
                    registration_id=registration_id,
                    reminder_id=reminder_id,
                    sequence=sequence,
                    claim=claim,
                )
                for registration_id, reminder_id, sequence in pairs
            ],
            ignore_conflicts=True,  # another scan got there first: that pair is theirs
            batch_size=SCAN_LIMIT,
        )
        claimed = ReminderDelivery.objects.filter(status=ReminderDelivery.Status.CLAIMED)
        retake = dict(claim=claim, created_at=now, held_by="", takeovers=F("takeovers") + 1)
        claimed.filter(held_by="", created_at__lte=now - CLAIM_LEASE).update(**retake)
        liveness.held_by_gone(claimed, now=now).update(**retake)
        rows = list(
            ReminderDelivery.objects.filter(
                claim=claim, status=ReminderDelivery.Status.CLAIMED
            ).values_list("pk", "reminder__offset")
        )
        # Reminders within 2 hours of the start go to the `critical` queue, in their own chunks.
        by_queue = {}
        for pk, offset in rows:
            options = reminder_send_options(offset.total_seconds())
            by_queue.setdefault(options["queue"], (options, []))[1].append(pk)
        for options, ids in by_queue.values():
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                transaction.on_commit(
                    lambda chunk=chunk, options=options: deliver_reminder_chunk.apply_async(
                        args=[chunk], **options
                    )
                )
    return len(rows)


def sms_send_at(*, now, registration, webinar):
    """None to send now, a later moment (end of the registrant's quiet hours), or SKIP.

    The night window is the outbox's own rule, with the webinars' hours
    (`WEBINAR_SMS_QUIET_HOURS`): reminders are transactional, the outbox holds none back.
    """
    resume = quiet_hours_end(
        now=now,
        tz=zoneinfo.ZoneInfo(registration.time_zone),
        spec=settings.WEBINAR_SMS_QUIET_HOURS,
    )
    if resume is None:
        return None
    return SKIP if resume >= webinar.ends_at else resume


def _reminder_context(registration, reminder, webinar):
    context = registrant_context(registration, webinar=webinar)
    context["include_link"] = reminder.include_join_link
    context["offset"] = str(reminder)
    approved = reminder.approved_text(registration.language) if reminder.uses_ai_text else None
    # Only a text reviewed in the registrant's language: without one they get the standard
    # reminder in their language, never the AI text in another.
    if approved is not None:
        subject, body = approved
        # {nombre} is the per-person merge field.
        context["ai_subject"] = subject.replace("{nombre}", context["name"])
        # The body is reviewed HTML; the name comes from a public form: escape it.
        context["ai_body"] = body.replace("{nombre}", escape(context["name"]))
    return context


def _queue_push(registration, reminder, webinar, context, key, until):
    """The reminder as a push notice to the browsers the registrant subscribed in the
    portal (none: nothing queued). It expires at its deadline: a notice a phone receives
    after the webinar started is noise."""
    with translation.override(registration.language or None):
        body = _("Empieza el %(when)s.") % {"when": context["when"]}
        if reminder.include_join_link:
            body = _("Empieza el %(when)s. Toca para entrar.") % {"when": context["when"]}
    return queue_push(
        to=registration.email,
        idempotency_key=f"{key}.push",
        title=webinar.title,
        body=body,
        url=context["link"] if reminder.include_join_link else context["page_url"],
        expires_at=until,
        urgency="high",
        related=registration,
        language=registration.language,
        automation=REMINDERS,
    )


def _still_wanted(registration, reminder, webinar):
    """Re-checked at delivery: things may have changed since the scan claimed it."""
    return (
        webinar.status == Webinar.Status.SCHEDULED
        and registration.cancelled_at is None
        and reminder.active
        and reminder.ready
    )


def deadline(reminder, webinar, next_offsets=None):
    """Until when `reminder` is worth sending: the start of the webinar, or the moment
    the next (shorter) active reminder of the schedule is due, whichever comes first."""
    if next_offsets is not None and reminder.pk in next_offsets:
        next_offset = next_offsets[reminder.pk]
    else:
        next_offset = (
            Reminder.objects.filter(webinar=webinar, active=True, offset__lt=reminder.offset)
            .order_by("-offset")
            .values_list("offset", flat=True)
            .first()
        )
        if next_offsets is not None:
            next_offsets[reminder.pk] = next_offset
    return webinar.starts_at - (next_offset or timedelta(0))


def _late_reason(delivery, webinar, until):
    """Why a delivery past its deadline is skipped, truthfully: its worker died (it was
    taken over) or it simply came too late (a scan that was down)."""
    started = until >= webinar.starts_at
    if delivery.takeovers:
        return gettext(WORKER_LOST_STARTED if started else WORKER_LOST_NEXT_DUE)
    return NO_LONGER_DUE if started else gettext(NEXT_DUE)


def _skip(delivery, reason, **detail):
    delivery.status = ReminderDelivery.Status.SKIPPED
    delivery.detail = {"reason": reason, **detail}
    delivery.save(update_fields=["status", "detail"])


def _deliver(delivery, now, texts_checked, next_offsets=None):
    registration, reminder = delivery.registration, delivery.reminder
    webinar = registration.webinar
    if now < webinar.starts_at - reminder.offset:
        delivery.delete()  # moved later since the scan: the scan claims it again when due
        return
    if reminder.pk not in texts_checked:  # once per reminder and chunk, not per person
        texts_checked[reminder.pk] = ai_text_still_true(reminder)
    if not texts_checked[reminder.pk]:
        # The text is being redrafted: the scan claims the pair again once it is approved.
        delivery.delete()
        return
    if not _still_wanted(registration, reminder, webinar):
        _skip(delivery, NO_LONGER_DUE)
        return
    until = deadline(reminder, webinar, next_offsets)
    if now >= until:
        _skip(
            delivery,
            _late_reason(delivery, webinar, until),
            deadline=until.isoformat(),
            takeovers=delivery.takeovers,
        )
        return
    key = f"webinars.reminder.{registration.pk}.{reminder.pk}.{delivery.sequence}"
    context = _reminder_context(registration, reminder, webinar)
    messages, notes = [], {}
    with transaction.atomic():
        if reminder.email:
            messages.append(
                queue_email(
                    to=registration.email,
                    idempotency_key=f"{key}.email",
                    template="webinars/reminder",
                    context=context,
                    language=registration.language,
                    related=registration,
                    automation=REMINDERS,
                    # Held for review or delayed, it is dropped past its deadline.
                    expires_at=until,
                ).pk
            )
        if reminder.sms and registration.phone and registration.sms_consent:
            send_at = sms_send_at(now=now, registration=registration, webinar=webinar)
            if send_at is SKIP:
                notes["sms"] = "quiet hours until after the webinar"
            else:
                messages.append(
                    queue_sms(
                        to=registration.phone,
                        idempotency_key=f"{key}.sms",
                        template="webinars/reminder",
                        context=context,
                        send_at=send_at,
                        related=registration,
                        language=registration.language,
                        automation=REMINDERS,
                        expires_at=until,
                    ).pk
                )
        if reminder.push:
            pushed = _queue_push(registration, reminder, webinar, context, key, until)
            if pushed is not None:
                messages.append(pushed.pk)
        delivery.status = ReminderDelivery.Status.QUEUED
        delivery.detail = {"messages": messages, **notes}
        delivery.save(update_fields=["status", "detail"])


def reminder_messages_ended(*, message_ids):
    """Reminder messages that ended without leaving (staff rejected one held for review,
    or its moment passed while it waited): a delivery none of whose messages left or may
    still leave is skipped, with the last one's reason, so staff never count it as sent.
    Returns how many deliveries were skipped."""
    reasons = {}
    ended = OutboundMessage.objects.filter(
        pk__in=message_ids, idempotency_key__startswith="webinars.reminder."
    ).values_list("idempotency_key", "last_error")
    for key, error in ended:
        # webinars.reminder.<registration>.<reminder>.<sequence>.<channel>
        registration_id, reminder_id = key.split(".")[2:4]
        reasons[int(registration_id), int(reminder_id)] = error
    if not reasons:
        return 0
    pairs = Q()
    for registration_id, reminder_id in reasons:
        pairs |= Q(registration_id=registration_id, reminder_id=reminder_id)
    deliveries = list(ReminderDelivery.objects.filter(pairs, status=ReminderDelivery.Status.QUEUED))
    ids = {pk for delivery in deliveries for pk in delivery.detail.get("messages", [])}
    statuses = dict(OutboundMessage.objects.filter(pk__in=ids).values_list("pk", "status"))
    skipped = 0
    for delivery in deliveries:
        messages = delivery.detail.get("messages", [])
        if messages and all(statuses.get(pk) in NOT_SENT for pk in messages):
            reason = reasons[delivery.registration_id, delivery.reminder_id]
            _skip(delivery, reason, **delivery.detail)
            skipped += 1
    return skipped


def deliver_reminders(*, delivery_ids, now=None) -> int:
    """Queue the messages of claimed deliveries; returns how many were handled."""
    handled = 0
    mine = ReminderDelivery.objects.filter(
        pk__in=delivery_ids, status=ReminderDelivery.Status.CLAIMED
    )
    # Held by this process from now on: if it dies, the next scan takes them over.
    mine.update(held_by=liveness.me())
    deliveries = mine.select_related("reminder", "registration__webinar")
    next_offsets, texts_checked = {}, {}
    for delivery in deliveries:
        try:
            # The clock of each delivery: a chunk may run past a deadline.
            _deliver(delivery, now or timezone.now(), texts_checked, next_offsets)
        except ValidationError as exc:  # a bad address: this one is skipped, not the chunk
            ReminderDelivery.objects.filter(pk=delivery.pk).update(
                status=ReminderDelivery.Status.SKIPPED, detail={"error": " ".join(exc.messages)}
            )
        handled += 1
    return handled


def reminder_text_languages(webinar):
    """The languages the AI reminder text is needed in: the webinar's and its registrants'."""
    languages = set(
        webinar.registrations.filter(cancelled_at__isnull=True)
        .values_list("language", flat=True)
        .distinct()
    )
    return [webinar.language, *sorted(languages - {webinar.language})]


def reminder_text_draft(*, webinar):
    """The AI-text reminder drafted once per language of the webinar and its registrants,
    each reviewed on its own (an English registrant never gets the Spanish text). Returns
    the drafts; the webinar's mark goes unless it was marked again meanwhile."""
    seen = webinar.reminder_text_due_since
    drafts = _reminder_text_drafts(webinar)
    pending.done(webinar, "reminder_text_due_since", seen)
    return drafts


def _reminder_text_drafts(webinar):
    reminder = webinar.reminders.filter(uses_ai_text=True, active=True).first()
    if reminder is None:
        return []
    existing = _text_drafts(reminder).exclude(
        status__in=(DraftStatus.WITHDRAWN, DraftStatus.REJECTED)
    )
    drafted = {draft.data.get("language", webinar.language) for draft in existing}
    drafts = []
    for language in reminder_text_languages(webinar):
        if language in drafted or reminder.approved_text(language) is not None:
            continue
        result = generate(
            "webinar_reminder",
            {
                "title": webinar.title,
                "description": webinar.description,
                "when": local_when(
                    webinar.starts_at, time_zone=webinar.time_zone, language=language
                ),
                "duration": webinar.duration_minutes,
            },
            language=language,
            requested_by="webinars.reminder",
        )
        with transaction.atomic():
            # Under the webinar's lock, once per language: a duplicate run (a redelivery,
            # the sweeper) that drafted it meanwhile wins.
            Webinar.objects.select_for_update().get(pk=webinar.pk)
            if any(
                draft.data.get("language", webinar.language) == language
                for draft in _text_drafts(reminder).exclude(
                    status__in=(DraftStatus.WITHDRAWN, DraftStatus.REJECTED)
                )
            ):
                continue
            drafts.append(
                create_draft(
                    kind="webinar_reminder",
                    target=reminder,
                    subject=result.data["subject"],
                    body=result.data["body_html"],
                    data={"language": language},
                    # The moment the text speaks of: its "still true?" check compares it.
                    context={"starts_at": webinar.starts_at.isoformat()},
                    ai_result=result,
                )
            )
    return drafts


def reminder_text_still_true(draft):
    """The AI text names the webinar's date: not true once the webinar moved or was
    cancelled (a new draft is written for the new date)."""
    reminder = draft.target
    if not isinstance(reminder, Reminder):
        return ""
    webinar = reminder.webinar
    if webinar.status == Webinar.Status.CANCELLED:
        return _("el webinar se canceló.")
    drafted_for = (draft.context or {}).get("starts_at")
    if drafted_for and datetime.fromisoformat(drafted_for) != webinar.starts_at:
        return _("el webinar cambió de fecha: ahora es el %(when)s.") % {
            "when": local_when(
                webinar.starts_at, time_zone=webinar.time_zone, language=webinar.language
            )
        }
    return ""


def _text_drafts(reminder):
    return Draft.objects.filter(
        kind="webinar_reminder",
        content_type=ContentType.objects.get_for_model(Reminder),
        object_id=str(reminder.pk),
    ).order_by("-pk")


def reminder_texts_reviewed(messages):
    """The reminder emails among `messages` that carry an AI text a person approved (its
    draft, once per language, is that text's review): in the review arm they are not held
    again person by person. A text approved by the rollout alone was read by nobody: its
    emails wait for staff like any other reminder."""
    emails = {}
    for message in messages:
        # webinars.reminder.<registration>.<reminder>.<sequence>.<channel>
        parts = message.idempotency_key.split(".")
        if message.channel == "email" and parts[:2] == ["webinars", "reminder"]:
            emails.setdefault(parts[3], []).append(message)
    if not emails:
        return set()
    approved = {}
    drafts = Draft.objects.filter(
        kind="webinar_reminder",
        content_type=ContentType.objects.get_for_model(Reminder),
        object_id__in=list(emails),
        status=DraftStatus.APPLIED,
    ).order_by("pk")
    for reminder_id, data, automatic in drafts.values_list(
        "object_id", "data", "decided_automatically"
    ):
        approved[reminder_id, (data or {}).get("language")] = not automatic  # the latest
    return {
        message.pk
        for reminder_id, group in emails.items()
        for message in group
        if approved.get((reminder_id, message.language))
    }


def ai_text_still_true(reminder):
    """At delivery: the approved AI texts (one per language) still speak of the webinar as
    it is. If not, their drafts are withdrawn, the texts taken off the reminder (no reminder
    goes out with the old date) and new drafts are asked for, for staff to review."""
    if not reminder.uses_ai_text or not (reminder.approved_body or reminder.approved_texts):
        return True
    applied = _text_drafts(reminder).filter(status=DraftStatus.APPLIED)
    stale = [draft for draft in applied if withdraw_if_stale(draft=draft)]
    if not stale:
        return True
    Reminder.objects.filter(pk=reminder.pk).update(
        approved_subject="", approved_body="", approved_texts={}
    )
    reminder.approved_subject = reminder.approved_body = ""
    reminder.approved_texts = {}
    owed.reminder_text_owed(reminder.webinar_id)
    return False


def reminder_text_apply(draft, user):
    """Approving a draft makes its text the reminder's in its language; the scan sends it."""
    reminder = Reminder.objects.select_related("webinar").get(pk=draft.object_id)
    language = (draft.data or {}).get("language", reminder.webinar.language)
    if language == reminder.webinar.language:
        Reminder.objects.filter(pk=reminder.pk).update(
            approved_subject=draft.subject, approved_body=draft.body
        )
    else:
        texts = {
            **reminder.approved_texts,
            language: {"subject": draft.subject, "body": draft.body},
        }
        Reminder.objects.filter(pk=reminder.pk).update(approved_texts=texts)


def send_test_reminder(*, reminder, user):
    """The reminder as a registrant would get it, to the staff member's own address."""
    webinar = reminder.webinar
    sample = Registration(
        webinar=webinar,
        email=user.email,
        name=user.get_full_name() or user.get_username(),
        time_zone=webinar.time_zone,
        language=webinar.language,
    )
    return queue_email(
        to=user.email,
        idempotency_key=f"webinars.test.{reminder.pk}.{uuid.uuid4().hex}",
        template="webinars/reminder",
        context=_reminder_context(sample, reminder, webinar),
        language=webinar.language,
        related=reminder,
    )
