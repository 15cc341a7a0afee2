"""The review queue's operations. Every decision is claimed under a row lock, leaves an
audit entry with what changed, and runs the kind's action only after it is committed."""

import difflib
import json
import logging
import re
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from courseops.audit.services import log_action
from courseops.core import liveness
from courseops.reviews import rollout
from courseops.reviews.automations import automation_of_kind
from courseops.reviews.models import Arm, Draft, DraftStatus
from courseops.reviews.permissions import can_review
from courseops.reviews.registry import ApplyError, ReviewKind, get_kind
from courseops.reviews.sanitize import clean_email_html

logger = logging.getLogger(__name__)

SUBJECT_MAX = Draft._meta.get_field("subject").max_length
# An approved draft whose apply task has not started this long after it was enqueued lost
# that task (with a killed worker, or the broker): it is enqueued again. One whose worker
# died while applying it is taken over at once (courseops.core.liveness).
DISPATCH_LEASE = timedelta(minutes=1)
TAKEN_OVER = _lazy("El worker que aplicaba este borrador se detuvo; se aplica de nuevo.")


class DraftStateError(Exception):
    """The draft is not in a state that allows this (e.g. approving it twice)."""


class DraftWithdrawn(DraftStateError):
    """The draft no longer tells the truth about its person: withdrawn, not approved."""


# --- Creating ----------------------------------------------------------------------------


def create_draft(
    *,
    kind,
    target,
    subject,
    body,
    data=None,
    context=None,
    ai_result=None,
    recipient=None,
    ai_usage_id=None,
    person_key=None,
):
    """Queue a draft for review, approve and apply it at once (recorded as an automation,
    with no user), or keep it in shadow, as the rollout has it for its person: the more
    careful of its automation's and its kind's policy (courseops.reviews.rollout).
    `person_key` is who it is for, by default the person behind `recipient` (else the
    target). `ai_usage_id` names the AI ledger row of a draft assembled later from a
    stored AI output (a pipeline step's), when the `ai_result` itself is gone."""
    review_kind = get_kind(kind)
    draft = Draft(kind=review_kind.name, recipient=recipient or "", context=_jsonable(context))
    draft.automation = automation_of_kind(review_kind.name)
    draft.person_key = person_key or rollout.person_key_for(recipient=recipient, target=target)
    if target is not None:
        if target.pk is None:
            raise ValueError("The draft's target must be saved first.")
        draft.content_type = ContentType.objects.get_for_model(target)
        draft.object_id = str(target.pk)
        draft.target_repr = str(target)[:200]
    draft.subject = draft.generated_subject = _clean_subject(subject)
    draft.body = draft.generated_body = _clean_body(review_kind, body)
    draft.data = draft.generated_data = data
    if ai_result is not None:
        draft.offline = ai_result.offline
        draft.ai_usage = ai_result.usage
    elif ai_usage_id is not None:
        draft.ai_usage_id = ai_usage_id

    draft.arm = rollout.Policies().arm(
        person_key=draft.person_key, automation=draft.automation, kind=draft.kind
    )
    if draft.arm == Arm.SHADOW:
        draft.status = DraftStatus.SHADOW
    with transaction.atomic():
        draft.save()
        log_action(
            draft,
            "reviews.draft.created",
            data={"kind": kind, "offline": draft.offline, "arm": draft.arm},
        )
        if draft.arm == Arm.AUTO:
            approve_automatically(draft)
    return draft


def approve_automatically(draft):
    """Approve a draft for the rollout itself (no user: its person is in the automatic
    arm); its action runs on commit. Call it inside a transaction, on a pending draft."""
    draft.status = DraftStatus.APPROVED
    draft.decided_at = timezone.now()
    draft.decided_automatically = True
    draft.dispatched_at = draft.decided_at
    draft.save(update_fields=["status", "decided_at", "decided_automatically", "dispatched_at"])
    log_action(draft, "reviews.draft.approved", data={"automatic": True, "changes": {}})
    _apply_on_commit(draft)


# --- Deciding ----------------------------------------------------------------------------


def edit_draft(*, draft, user, subject=None, body=None, data=None):
    """Save staff edits (None leaves a field as it is) to a pending or failed draft."""
    _check_permission(user, draft.kind)
    with transaction.atomic():
        locked = _lock(draft)
        if not locked.is_editable:
            raise DraftStateError(
                _("Este borrador ya no se puede editar: está %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        changes = _apply_edits(locked, subject=subject, body=body, data=data)
        if changes:
            locked.save()
            log_action(locked, "reviews.draft.edited", user=user, data={"changes": changes})
    return locked


def approve_draft(*, draft, user, subject=None, body=None, data=None, note=""):
    """Approve a pending draft, with last edits if given; its action runs on commit.

    Approving twice (a double click, two staff at once) raises DraftStateError and never
    runs the action a second time: the row is locked and its status re-checked.
    """
    _check_permission(user, draft.kind)
    with transaction.atomic():
        locked = _lock(draft)
        if locked.status != DraftStatus.PENDING:
            raise DraftStateError(_already_decided(locked))
        # What the draft says of its person may have stopped being true while it waited.
        reason = get_kind(locked.kind).stale_reason(locked)
        if reason:
            _withdraw(locked, reason, user=user)
        else:
            changes = _apply_edits(locked, subject=subject, body=body, data=data)
            locked.status = DraftStatus.APPROVED
            locked.decided_by = user
            locked.decided_at = timezone.now()
            locked.decision_note = (note or "").strip()
            locked.dispatched_at = locked.decided_at
            locked.save()
            log_action(
                locked,
                "reviews.draft.approved",
                user=user,
                data={"changes": changes, "note": locked.decision_note},
            )
            _apply_on_commit(locked)
    if reason:  # the withdrawal is committed; staff read why it was not approved
        raise DraftWithdrawn(_("Borrador retirado: %(reason)s") % {"reason": reason})
    return locked


def reject_draft(*, draft, user, reason):
    """Reject a pending (or failed) draft; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indica el motivo del rechazo."))
    _check_permission(user, draft.kind)
    with transaction.atomic():
        locked = _lock(draft)
        if not locked.is_editable:
            raise DraftStateError(_already_decided(locked))
        previous = locked.status
        locked.status = DraftStatus.REJECTED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        locked.decision_note = reason
        locked.save()
        log_action(
            locked, "reviews.draft.rejected", user=user, data={"reason": reason, "from": previous}
        )
        try:
            kind = get_kind(locked.kind)
        except LookupError:  # a kind no longer registered: nothing waits on it
            kind = None
        if kind is not None:
            kind.on_rejected(locked, reason)
    return locked


def retry_draft(*, draft, user):
    """Run a failed draft's action again (after fixing the draft or whatever broke)."""
    _check_permission(user, draft.kind)
    with transaction.atomic():
        locked = _lock(draft)
        if locked.status != DraftStatus.FAILED:
            raise DraftStateError(_("Solo se reintentan borradores fallidos."))
        locked.status = DraftStatus.APPROVED
        locked.dispatched_at = timezone.now()
        locked.save(update_fields=["status", "dispatched_at", "updated_at"])
        log_action(locked, "reviews.draft.retried", user=user, data={"error": locked.last_error})
        _apply_on_commit(locked)
    return locked


# --- Applying (from the task) ------------------------------------------------------------


def apply_draft(*, draft_id, final_attempt=True, retry_at=None):
    """Run the action of an approved draft and record the outcome.

    The draft is claimed first (its holder is this process, courseops.core.liveness), so
    a redelivered or re-enqueued task does not apply it twice at once, and a worker that
    dies while applying it leaves it to be taken over at once. Runs outside any
    transaction (an action may call out). A transient ApplyError is re-raised for the
    task to retry (at `retry_at`) unless this is its final attempt; anything else marks
    the draft failed with the error so staff see it and can retry. Actions must be
    idempotent per draft (email drafts are, through the outbox idempotency key).
    """
    claimed = Draft.objects.filter(pk=draft_id, status=DraftStatus.APPROVED, held_by="").update(
        held_by=liveness.me(), apply_attempts=F("apply_attempts") + 1, updated_at=timezone.now()
    )
    draft = Draft.objects.select_related("decided_by").filter(pk=draft_id).first()
    if not claimed:
        return draft  # rejected, applied, or being applied elsewhere: nothing to do
    try:
        kind = get_kind(draft.kind)
        reason = kind.stale_reason(draft)
        if reason:  # approved a while ago (or automatically): the person moved on since
            withdrawn = _finish(
                draft, DraftStatus.WITHDRAWN, "reviews.draft.withdrawn", last_error=reason
            )
            kind.on_withdrawn(withdrawn, reason)
            return withdrawn
        kind.apply(draft, draft.decided_by)
    except Exception as exc:
        transient = isinstance(exc, ApplyError) and not exc.permanent
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if transient and not final_attempt:
            # Released until its retry: the sweeper steps in only if that retry is lost.
            Draft.objects.filter(pk=draft.pk).update(
                last_error=error, held_by="", dispatched_at=retry_at or timezone.now()
            )
            raise
        logger.warning("Draft %s could not be applied: %s", draft.pk, error)
        return _finish(draft, DraftStatus.FAILED, "reviews.draft.failed", last_error=error)
    return _finish(draft, DraftStatus.APPLIED, "reviews.draft.applied", applied_at=timezone.now())


def requeue_stale_drafts(*, now=None):
    """Take over approved drafts whose action did not run to its end: one whose holder is
    gone (its worker died while applying it) at once, with the reason for staff; one
    whose task never started (lost with a killed worker or the broker) once
    `DISPATCH_LEASE` has passed since it was enqueued. Returns the ids enqueued again.

    Safe to run twice: stamping `dispatched_at` takes the rows out of the next scan, and
    the apply task claims the draft itself.
    """
    now = now or timezone.now()
    approved = Draft.objects.filter(status=DraftStatus.APPROVED)
    liveness.held_by_gone(approved, now=now).update(
        held_by="", dispatched_at=None, last_error=str(TAKEN_OVER), updated_at=now
    )
    with transaction.atomic():
        stale = list(
            approved.select_for_update(skip_locked=True)
            .filter(held_by="")
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=now - DISPATCH_LEASE))
            .values_list("pk", flat=True)[:500]
        )
        Draft.objects.filter(pk__in=stale).update(dispatched_at=now)
        for draft_id in stale:
            _enqueue_apply_on_commit(draft_id)
    return stale


def message_still_true(message):
    """The outbox's send check: a message of an AI draft leaves only while the draft still
    holds; otherwise the draft is withdrawn and the reason is the message's."""
    if message.content_type_id != ContentType.objects.get_for_model(Draft).pk:
        return ""
    draft = Draft.objects.filter(pk=message.object_id).first()
    if draft is None:
        return ""
    reason = withdraw_if_stale(draft=draft)
    return _("Ya no es cierto: %(reason)s") % {"reason": reason} if reason else ""


def withdraw_if_stale(*, draft):
    """At send time: the reason an applied draft's message must not leave any more (and the
    draft withdrawn with it), or "" while it still holds."""
    try:
        reason = get_kind(draft.kind).stale_reason(draft)
    except LookupError:
        return ""
    if reason:
        with transaction.atomic():
            locked = _lock(draft)
            if locked.status != DraftStatus.WITHDRAWN:
                _withdraw(locked, reason)
    return reason


def _withdraw(draft, reason, *, user=None):
    previous = draft.status
    draft.status = DraftStatus.WITHDRAWN
    draft.last_error = reason[:2000]
    draft.save(update_fields=["status", "last_error", "updated_at"])
    log_action(
        draft, "reviews.draft.withdrawn", user=user, data={"reason": reason, "from": previous}
    )
    get_kind(draft.kind).on_withdrawn(draft, reason)


def _finish(draft, status, action, **fields):
    with transaction.atomic():
        fields.setdefault("last_error", "")
        claimed = Draft.objects.filter(pk=draft.pk, status=DraftStatus.APPROVED).update(
            status=status, held_by="", updated_at=timezone.now(), **fields
        )
        if claimed:
            key = "reason" if status == DraftStatus.WITHDRAWN else "error"
            log_action(
                draft, action, data={key: fields["last_error"]} if fields["last_error"] else {}
            )
    draft.refresh_from_db()
    return draft


# --- Helpers -----------------------------------------------------------------------------


def _check_permission(user, kind):
    if not can_review(user, kind):
        raise PermissionDenied(_("No tienes permiso para revisar este tipo de borrador."))


def _lock(draft):
    return Draft.objects.select_for_update().get(pk=draft.pk)


def _already_decided(draft):
    return _("Este borrador ya fue decidido: está %(status)s.") % {
        "status": draft.get_status_display().lower()
    }


def _apply_on_commit(draft):
    _enqueue_apply_on_commit(draft.pk)


def _enqueue_apply_on_commit(draft_id):
    from courseops.reviews.tasks import apply_draft_task

    transaction.on_commit(lambda: apply_draft_task.delay(draft_id))


def _clean_subject(subject):
    # One line: a newline in an email subject is a header injection.
    return " ".join((subject or "").split())[:SUBJECT_MAX]


def _clean_body(kind, body):
    body = body or ""
    return clean_email_html(body) if kind.html else body


class _ContextEncoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)  # a model instance or the like: keep what staff can read


def _jsonable(context):
    """The context as stored: anything JSON cannot hold becomes its text."""
    return json.loads(json.dumps(context or {}, cls=_ContextEncoder))


def _apply_edits(draft, *, subject, body, data):
    """Set the given values on `draft`; return what changed, for the audit log."""
    try:
        kind = get_kind(draft.kind)
    except LookupError:
        kind = ReviewKind(name="unregistered", label="", html=True)  # sanitize to be safe
    changes = {}
    if subject is not None:
        subject = _clean_subject(subject)
        if subject != draft.subject:
            changes["subject"] = {"before": draft.subject, "after": subject}
            draft.subject = subject
    if body is not None:
        body = _clean_body(kind, body)
        if body != draft.body:
            changes["body"] = {"diff": _diff(draft.body, body)}
            draft.body = body
    if data is not None and data != draft.data:
        changes["data"] = {"before": draft.data, "after": data}
        draft.data = data
    return changes


def _lines(text):
    # HTML from a model often comes on one line: break between tags so the diff reads.
    return re.sub(r">\s*<", ">\n<", text).splitlines()


def _diff(before, after):
    return "\n".join(
        difflib.unified_diff(
            _lines(before), _lines(after), _("antes"), _("después"), lineterm="", n=1
        )
    )
