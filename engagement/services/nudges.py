"""Nudges and congratulations: the scan that finds who is due, and the drafts it makes.

The scan runs each active rule as one set-based query over students and their progress
(no query per student), then claims the matches by inserting one `Nudge` row each with
`ignore_conflicts`: the unique (rule, student, occurrence) row is the claim, so a scan run
twice, two scans at once, or a scan after a crash claim each occurrence once. The rows
this run inserted are the ones carrying its `scan_id`. Drafting happens afterwards, per
claimed nudge, in tasks; a nudge left `claimed` by a crash is picked up by the next scan.

AI cost: the prompt gets the student's situation in coarse buckets (days inactive
rounded to a week; the percent is the portal's, fixed by lessons done of total) and
never their name (the email template adds the greeting), so students in the same
situation produce the same prompt and the AI gateway's cache answers all but the
first. The next relevant lesson (for inactive students) adds one dimension to that,
bounded by the plan's lessons, not by its students.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from courseops.ai import generate
from courseops.ai.budget import token_cost
from courseops.ai.prompts import build_context, load_prompt
from courseops.audit.services import log_action
from courseops.core.display import percent_value
from courseops.reviews.services import create_draft
from engagement.automations import NUDGES
from engagement.models import Nudge, NudgeRule
from engagement.services.activity import local_day
from engagement.services.certificates import issue_certificate, verify_url
from engagement.services.next_lesson import next_lesson_annotations, next_lesson_url
from engagement.services.pending import pending_candidates
from students.models import Material, Student

logger = logging.getLogger(__name__)

ELIGIBLE_STATUSES = (Student.Status.ONBOARDING, Student.Status.ACTIVE)
PENDING_KINDS = (NudgeRule.Kind.ASSIGNMENT_DUE, NudgeRule.Kind.ASSIGNMENT_OVERDUE)
# Claims per scan: keeps a scan's queries and time bounded when thousands are due the same
# day; the scan runs hourly, so a backlog drains within hours, in the students' daytime.
SCAN_LIMIT = 10_000
DRAFT_CHUNK = 50
# A nudge still `claimed` this long after its scan lost its drafting task.
STALE_CLAIM = timedelta(minutes=15)
PROMPTS = {
    "nudge_inactive": "nudge_inactive",
    "nudge_pending": "nudge_pending",
    "congratulations": "congratulations",
}
# For the dry run's estimate: a nudge's reply is about this many tokens.
ESTIMATED_OUTPUT_TOKENS = 450


@dataclass(frozen=True)
class Candidate:
    rule: NudgeRule
    student_id: int
    email: str
    occurrence: str
    facts: dict


# --- Finding who is due ------------------------------------------------------------------


def _base_query(rule, now):
    students = Student.objects.filter(status__in=ELIGIBLE_STATUSES)
    plan_ids = [plan.pk for plan in rule.plans.all()]
    if plan_ids:
        students = students.filter(plan_id__in=plan_ids)
    if rule.cooldown_days:
        recent = Nudge.objects.filter(
            rule=rule,
            student=OuterRef("pk"),
            created_at__gte=now - timedelta(days=rule.cooldown_days),
        )
        students = students.filter(~Exists(recent))
    return students.filter(~Exists(_claimed_occurrence(rule)))


def _claimed_occurrence(rule):
    """Nudges that already cover the occurrence a student would be claimed for, so a scan
    run again skips them in SQL rather than failing their inserts: for inactivity, one made
    since the student's last activity (or enrolment); for milestones and completion, any;
    for streaks, the cooldown decides."""
    nudges = Nudge.objects.filter(rule=rule, student=OuterRef("pk"))
    if rule.kind == NudgeRule.Kind.INACTIVE:
        since = Coalesce(
            OuterRef("progress__last_activity_at"),
            OuterRef("activated_at"),
            OuterRef("created_at"),
        )
        return nudges.filter(created_at__gt=since)
    if rule.kind in (NudgeRule.Kind.STREAK, *PENDING_KINDS):
        return nudges.none()  # the cooldown, or the per-assignment check, decides
    return nudges


def _completed():
    return Q(
        plan__curriculum__lessons_total__gt=0,
        progress__lessons_completed__gte=F("plan__curriculum__lessons_total"),
    )


def _rule_condition(rule, now, next_milestone):
    if rule.kind == NudgeRule.Kind.INACTIVE:
        cutoff = now - timedelta(days=rule.threshold)
        # Never active at all counts too, once they have had the time.
        enrolled_before = Q(activated_at__lt=cutoff) | Q(
            activated_at__isnull=True, created_at__lt=cutoff
        )
        # Counted from the later of the last activity and the activation: history imported
        # from an old LMS (older than the import) is not inactivity to nudge about.
        started_before = Q(activated_at__isnull=True) | Q(activated_at__lt=cutoff)
        inactive = (Q(progress__last_activity_at__lt=cutoff) & started_before) | (
            Q(progress__last_activity_at__isnull=True) & enrolled_before
        )
        return inactive & ~_completed()
    if rule.kind == NudgeRule.Kind.MILESTONE:
        # Integer percent arithmetic: done * 100 >= total * threshold.
        total = F("plan__curriculum__lessons_total")
        reached = Q(plan__curriculum__lessons_total__gt=0, done_x100__gte=total * rule.threshold)
        # Past the next milestone already (an import, a fast week): that one speaks.
        return reached & ~Q(done_x100__gte=total * (next_milestone or 100))
    if rule.kind == NudgeRule.Kind.STREAK:
        yesterday = local_day(now, settings.TIME_ZONE) - timedelta(days=1)
        return Q(progress__streak_days__gte=max(rule.threshold, 1)) & Q(
            progress__streak_last_day__gte=yesterday
        )
    return _completed()


def _occurrence(rule, row):
    if rule.kind == NudgeRule.Kind.INACTIVE:
        last = row["last_activity_at"]
        return f"since:{last:%Y-%m-%d}" if last else "never"
    if rule.kind == NudgeRule.Kind.MILESTONE:
        return f"pct:{rule.threshold}"
    if rule.kind == NudgeRule.Kind.STREAK:
        start = row["streak_last_day"] - timedelta(days=row["streak_days"] - 1)
        return f"from:{start:%Y-%m-%d}"
    return "completed"


def _facts(rule, row, now, resources):
    total = row["lessons_total"] or 0
    done = row["lessons_completed"] or 0
    last = row["last_activity_at"]
    since = max(filter(None, (last, row["activated_at"]))) if last else None
    days_inactive = (now - (since or row["activated_at"] or row["created_at"])).days
    return {
        "rule": rule.kind,
        "language": row["language"],
        # Rounded so that students in the same situation share one AI draft.
        "weeks_inactive": max(1, days_inactive // 7) if rule.kind == "inactive" else 0,
        # Exact, as the portal shows it: with lessons_total and lessons_pending in the
        # prompt, rounding the percent would not let more students share a draft.
        "percent": min(100, percent_value(done, total)) if total else 0,
        "lessons_total": total,
        "lessons_pending": max(0, total - done),
        "streak_days": rule.threshold if rule.kind == NudgeRule.Kind.STREAK else 0,
        "milestone": rule.threshold if rule.kind == NudgeRule.Kind.MILESTONE else 0,
        "never_started": last is None,
        "resource": resources.get(row["plan_id"], ""),
        "next_lesson": row.get("next_lesson_title") or "",
        "next_lesson_id": row.get("next_lesson_id"),
    }


ROW_FIELDS = {
    "student_id": "pk",
    "email": "email",
    "language": "language",
    "plan_id": "plan_id",
    "created_at": "created_at",
    "activated_at": "activated_at",
    "last_activity_at": "progress__last_activity_at",
    "lessons_completed": "progress__lessons_completed",
    "streak_days": "progress__streak_days",
    "streak_last_day": "progress__streak_last_day",
    "lessons_total": "plan__curriculum__lessons_total",
}


def find_candidates(rule, *, now, next_milestone=None, resources=None):
    """The students this rule matches now: one query (one per assignment for the
    assignment rules), streamed."""
    if rule.kind in PENDING_KINDS:
        yield from _pending(rule, now)
        return
    students = (
        _base_query(rule, now)
        .alias(done_x100=F("progress__lessons_completed") * 100)
        .filter(_rule_condition(rule, now, next_milestone))
    )
    fields = dict(ROW_FIELDS)
    if rule.kind == NudgeRule.Kind.INACTIVE:
        students = students.annotate(**next_lesson_annotations())
        fields.update(next_lesson_id="next_lesson_id", next_lesson_title="next_lesson_title")
    rows = students.values_list(*fields.values()).order_by()
    for values in rows.iterator(chunk_size=2000):
        row = dict(zip(fields, values, strict=True))
        yield Candidate(
            rule=rule,
            student_id=row["student_id"],
            email=row["email"],
            occurrence=_occurrence(rule, row),
            facts=_facts(rule, row, now, resources or {}),
        )


def _pending(rule, now):
    rows = pending_candidates(
        rule,
        _base_query(rule, now),
        now=now,
        language_facts=lambda row: {"language": row["language"]},
    )
    for row, occurrence, facts in rows:
        yield Candidate(
            rule=rule, student_id=row["pk"], email=row["email"], occurrence=occurrence,
            facts=facts,
        )  # fmt: skip


def _active_rules():
    return list(NudgeRule.objects.filter(active=True).prefetch_related("plans"))


def _next_milestones(rules):
    thresholds = sorted(r.threshold for r in rules if r.kind == NudgeRule.Kind.MILESTONE)
    return {t: next((u for u in thresholds if u > t), None) for t in thresholds}


def _plan_resources():
    """A useful resource per plan (its first active material), for the message."""
    resources = {}
    for plan_id, title in (
        Material.objects.filter(active=True, plans__isnull=False)
        .order_by("plans", "title")
        .values_list("plans", "title")
    ):
        resources.setdefault(plan_id, title)
    return resources


def _all_candidates(now):
    rules = _active_rules()
    next_milestones = _next_milestones(rules)
    resources = _plan_resources()
    for rule in rules:
        yield from find_candidates(
            rule, now=now, next_milestone=next_milestones.get(rule.threshold), resources=resources
        )


# Kinds that celebrate progress: what an import brings was celebrated (or not) back then.
HISTORY_KINDS = frozenset(
    {NudgeRule.Kind.MILESTONE, NudgeRule.Kind.STREAK, NudgeRule.Kind.COURSE_COMPLETED}
)


def settle_imported_history(*, student_ids, reason, now=None):
    """Progress imported from an old LMS is history, not news: the milestone, streak and
    completion nudges it would trigger are claimed as skipped (with `reason`), so no scan
    sends them. Inactivity needs nothing: it counts from the import (`activated_at`)."""
    now = now or timezone.now()
    ids = set(student_ids)
    skipped = [
        Nudge(
            rule=candidate.rule,
            student_id=candidate.student_id,
            occurrence=candidate.occurrence,
            facts=candidate.facts,
            scan_id="import",
            status=Nudge.Status.SKIPPED,
            skipped_reason=reason[:200],
        )
        for candidate in _all_candidates(now)
        if candidate.student_id in ids and candidate.rule.kind in HISTORY_KINDS
    ]
    Nudge.objects.bulk_create(skipped, ignore_conflicts=True)
    return len(skipped)


# --- Claiming -------------------------------------------------------------------------------


def scan_rules(*, now=None):
    """Claim due nudges (up to SCAN_LIMIT) and enqueue their drafting; returns how many
    this run claimed."""
    now = now or timezone.now()
    scan_id = uuid.uuid4().hex
    claims = [
        Nudge(
            rule=candidate.rule,
            student_id=candidate.student_id,
            occurrence=candidate.occurrence,
            facts=candidate.facts,
            scan_id=scan_id,
        )
        # The rest are claimed by the next run (hourly): bins, as Open edX does.
        for candidate in islice(_all_candidates(now), SCAN_LIMIT)
    ]
    # One INSERT (Django splits it only under SQLite's variable limit).
    Nudge.objects.bulk_create(claims, ignore_conflicts=True)
    claimed = list(Nudge.objects.filter(scan_id=scan_id).values_list("pk", flat=True))
    stale = list(
        Nudge.objects.filter(
            status=Nudge.Status.CLAIMED, created_at__lt=now - STALE_CLAIM
        ).values_list("pk", flat=True)[:SCAN_LIMIT]
    )
    _enqueue_drafting(claimed + stale)
    logger.info("engagement.scan", extra={"claimed": len(claimed), "stale": len(stale)})
    return len(claimed)


def _enqueue_drafting(ids):
    from engagement.tasks import draft_nudges

    for start in range(0, len(ids), DRAFT_CHUNK):
        chunk = ids[start : start + DRAFT_CHUNK]
        transaction.on_commit(lambda chunk=chunk: draft_nudges.delay(chunk))


@dataclass(frozen=True)
class DryRun:
    rows: list  # (rule name, email, occurrence)
    prompts: int  # distinct AI prompts (what is paid for; the rest are cache hits)
    estimated_cost_usd: object


def dry_run(*, now=None):
    """Who would get what now, and what the AI would cost, changing nothing."""
    now = now or timezone.now()
    rows, contexts, cost = [], set(), 0
    claimed = set(Nudge.objects.values_list("rule_id", "student_id", "occurrence"))
    for candidate in _all_candidates(now):
        if (candidate.rule.pk, candidate.student_id, candidate.occurrence) in claimed:
            continue
        rows.append((candidate.rule.name, candidate.email, candidate.occurrence))
        key = (candidate.rule.review_kind, tuple(sorted(candidate.facts.items())))
        if key not in contexts:
            contexts.add(key)
            cost += _estimated_cost(candidate.rule.review_kind, candidate.facts)
    return DryRun(rows=rows, prompts=len(contexts), estimated_cost_usd=cost)


def _estimated_cost(review_kind, facts):
    prompt = load_prompt(PROMPTS[review_kind])
    messages = prompt.render_messages(build_context(prompt, facts, facts["language"]))
    tokens_in = sum(len(message["content"]) for message in messages) // 4
    return token_cost(settings.AI_MODEL, tokens_in, ESTIMATED_OUTPUT_TOKENS)


# --- Drafting and sending ------------------------------------------------------------------


def eligible(student):
    """Past-due students get only billing messages while Stripe retries; cancelled ones
    get none (marketing's win-back takes over)."""
    return student.status in ELIGIBLE_STATUSES


def _nudges_moved(message_ids, *, before, after, action, **fields):
    """The nudges of these messages in a `before` status move to `after` (one UPDATE, one
    audit entry each); how many."""
    nudges = list(Nudge.objects.filter(message_id__in=message_ids, status__in=before))
    Nudge.objects.filter(pk__in=[n.pk for n in nudges], status__in=before).update(
        status=after, **fields
    )
    for nudge in nudges:
        log_action(nudge, action, data={"message": nudge.message_id})
    return len(nudges)


def nudges_withheld(*, withheld):
    """The outbox kept these messages (`{id: status}`) from leaving: their nudges say so."""
    from courseops.messaging.models import OutboundMessage

    by_status = {}
    for pk, status in withheld.items():
        by_status.setdefault(status, []).append(pk)
    if by_status.get("shadowed"):
        nudges_shadowed(message_ids=by_status["shadowed"])
    if by_status.get("held"):
        nudges_held(message_ids=by_status["held"])
    ended = by_status.get("canceled", []) + by_status.get("dropped", [])
    if ended:
        reasons = OutboundMessage.objects.filter(pk__in=ended).values_list("pk", "last_error")
        nudges_not_sent(reasons=dict(reasons))


def nudges_shadowed(*, message_ids):
    """The nudges whose message the outbox kept in shadow say so (they were "sent" when
    it was queued)."""
    return _nudges_moved(
        message_ids,
        before=[Nudge.Status.SENT],
        after=Nudge.Status.SHADOWED,
        action="engagement.nudge.shadowed",
        sent_at=None,
    )


def nudges_held(*, message_ids):
    """The nudges whose message waits for staff in review read as held, not sent."""
    return _nudges_moved(
        message_ids,
        before=[Nudge.Status.SENT],
        after=Nudge.Status.HELD,
        action="engagement.nudge.held",
        sent_at=None,
    )


def nudges_released(*, message_ids):
    """Staff approved the held message: the nudge is sent from now."""
    return _nudges_moved(
        message_ids,
        before=[Nudge.Status.HELD],
        after=Nudge.Status.SENT,
        action="engagement.nudge.released",
        sent_at=timezone.now(),
    )


def nudges_not_sent(*, reasons):
    """The nudges whose message ended without leaving (`{message id: why}`: staff
    rejected it in review, or it stopped being true) are skipped, with that reason."""
    nudges = Nudge.objects.filter(
        message_id__in=list(reasons), status__in=(Nudge.Status.SENT, Nudge.Status.HELD)
    ).only("pk", "message_id")
    for nudge in nudges:
        reason = reasons[nudge.message_id]
        Nudge.objects.filter(pk=nudge.pk).update(
            status=Nudge.Status.SKIPPED, sent_at=None, skipped_reason=reason[:200]
        )
        log_action(nudge, "engagement.nudge.skipped", data={"reason": reason})


def skip_nudge(nudge, reason):
    updated = Nudge.objects.filter(
        pk=nudge.pk, status__in=(Nudge.Status.CLAIMED, Nudge.Status.DRAFTED)
    ).update(status=Nudge.Status.SKIPPED, skipped_reason=reason[:200])
    if updated:
        log_action(nudge, "engagement.nudge.skipped", data={"reason": reason})


def draft_nudge(*, nudge_id):
    """Write the claimed nudge's draft (the AI call is outside any transaction); the
    draft goes to review, or straight out under policy `auto`."""
    nudge = Nudge.objects.select_related("rule", "student").filter(pk=nudge_id).first()
    if nudge is None or nudge.status != Nudge.Status.CLAIMED:
        return None
    if not eligible(nudge.student):
        skip_nudge(nudge, f"student {nudge.student.status}")
        return None
    kind = nudge.rule.review_kind
    result = generate(
        PROMPTS[kind],
        nudge.facts,
        language=nudge.student.language,
        requested_by="engagement",
        subject=nudge.student,
    )
    with transaction.atomic():
        locked = Nudge.objects.select_for_update().get(pk=nudge.pk)
        if locked.status != Nudge.Status.CLAIMED:
            return None  # another worker drafted it meanwhile
        draft = create_draft(
            kind=kind,
            target=locked,
            subject=result.data["subject"],
            body=result.data["body_html"],
            context=nudge.facts,
            ai_result=result,
            recipient=nudge.student.email,
        )
        # The draft may already be approved (policy auto) and its sending queued on commit.
        Nudge.objects.filter(pk=locked.pk).update(status=Nudge.Status.DRAFTED, draft=draft)
    return draft


def quiet_hours_end(now, *, time_zone, start_hour, end_hour):
    """When the quiet hours containing `now` end in `time_zone`, or None if `now` is not
    in them (start == end means no quiet hours)."""
    if start_hour == end_hour:
        return None
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    if start_hour < end_hour:
        quiet = start_hour <= local.hour < end_hour
    else:  # across midnight, e.g. 21 -> 8
        quiet = local.hour >= start_hour or local.hour < end_hour
    if not quiet:
        return None
    end = local.replace(hour=end_hour, minute=0, second=0, microsecond=0)
    if end <= local:
        end = (local + timedelta(days=1)).replace(hour=end_hour, minute=0, second=0, microsecond=0)
    return end


def send_nudge(*, nudge, subject, body_html, body_text, related):
    """Queue the approved nudge once (the key is the nudge's, whatever drafts it had),
    never to a past-due or cancelled student, never in their quiet hours; with the rule's
    `sms`, a short SMS too, once, to students with a phone who accepted SMS (the outbox's
    send policy then applies its own quiet hours and budgets to both)."""
    from courseops.messaging.models import Category
    from courseops.messaging.services import queue_email, queue_sms

    student = nudge.student
    if not eligible(student):
        skip_nudge(nudge, f"student {student.status}")
        return None
    now = timezone.now()
    extra, attachments = {}, None
    if nudge.rule.kind == NudgeRule.Kind.COURSE_COMPLETED:
        certificate = issue_certificate(student=student)
        extra["certificate_url"] = verify_url(certificate)
        with certificate.pdf.open("rb") as pdf:
            attachments = [(f"certificado-{certificate.code}.pdf", pdf.read(), "application/pdf")]
    if nudge.facts.get("next_lesson_id"):
        extra["next_lesson"] = nudge.facts["next_lesson"]
        extra["next_lesson_url"] = next_lesson_url(nudge.facts["next_lesson_id"])
    context = {
        "subject": subject,
        "name": student.first_name,
        "body_html": body_html,
        "body_text": body_text,
        "progress_url": f"{settings.SITE_URL}{reverse('engagement:portal-progress')}",
        **extra,
    }
    send_at = quiet_hours_end(
        now,
        time_zone=student.time_zone,
        start_hour=nudge.rule.quiet_start_hour,
        end_hour=nudge.rule.quiet_end_hour,
    )
    message = queue_email(
        to=student.email,
        idempotency_key=f"engagement.nudge.{nudge.pk}",
        subject=subject,
        template="engagement/nudge",
        context=context,
        attachments=attachments,
        category=Category.ENGAGEMENT,
        send_at=send_at,
        related=related,
        language=student.language,
        automation=NUDGES,
    )
    if nudge.rule.sms and student.phone and student.sms_consent_at:
        # Its own key: the SMS goes once per nudge too, whatever happens to the email.
        queue_sms(
            to=student.phone,
            idempotency_key=f"engagement.nudge.{nudge.pk}.sms",
            template="engagement/nudge",
            context=context,
            category=Category.ENGAGEMENT,
            send_at=send_at,
            related=related,
            language=student.language,
            automation=NUDGES,
        )
    updated = Nudge.objects.filter(pk=nudge.pk).exclude(status=Nudge.Status.SENT)
    if updated.update(status=Nudge.Status.SENT, message=message, sent_at=now):
        log_action(nudge, "engagement.nudge.sent", data={"message": message.pk})
    return message
