"""What an automation sends without a draft, in the review arm of its rollout, waits for staff.

Where a message of an automation leaves the outbox (the rollout check,
`rollout.outbox_holds`), one whose person falls in the review arm (review mode, or the
review side of N %) is kept as `held` and gets a draft of kind `automation_message` in
the review queue, with the text it would send: staff approve it (the message is released,
with their edits) or reject it (the message is canceled). One approved after its moment
passed (a reminder once its webinar started) or no longer true is withdrawn with the
reason and the message dropped: never sent late. The drafts carry the automation, the
person and the arm, so the rates per arm count them like any other draft.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from courseops.audit.services import log_action
from courseops.core.redaction import mask_numbered, unmask_numbered
from courseops.messaging.hooks import send_refusal
from courseops.messaging.models import PENDING, Channel, OutboundMessage, Status
from courseops.reviews.models import Arm, Draft, DraftStatus
from courseops.reviews.registry import ApplyError, ReviewKind

KIND = "automation_message"
RELEASED = (DraftStatus.APPROVED, DraftStatus.APPLIED)
WAITING = (DraftStatus.PENDING, DraftStatus.FAILED)


def _reason():
    return _("En revisión: espera la aprobación del equipo en la cola de revisión.")


def _message_type():
    return ContentType.objects.get_for_model(OutboundMessage)


def review_holds(messages):
    """{message id: (status, reason)} for messages of automations in the review arm: held
    until a person approves their draft (created here, once per message); released once
    approved; canceled once rejected or withdrawn. Two queries and one insert a batch."""
    drafts = {
        int(draft["object_id"]): draft
        for draft in Draft.objects.filter(
            kind=KIND,
            content_type=_message_type(),
            object_id__in=[str(message.pk) for message in messages],
        ).values("object_id", "status", "decision_note", "last_error")
    }
    held, missing = {}, []
    for message in messages:
        draft = drafts.get(message.pk)
        if draft is None:
            missing.append(message)
            held[message.pk] = (Status.HELD, _reason())
        elif draft["status"] in WAITING:
            held[message.pk] = (Status.HELD, _reason())
        elif draft["status"] not in RELEASED:  # rejected or withdrawn: it never leaves
            why = draft["decision_note"] or draft["last_error"]
            held[message.pk] = (Status.CANCELED, _("No aprobado en revisión: %s") % why)
    if missing:
        _draft_for(missing)
    return held


def close_decided(sender, withheld, **kwargs):
    """After a batch recorded messages as held: close those whose draft was rejected or
    withdrawn meanwhile. That decision found the message still being sent, not yet held,
    and closed nothing (`close_held_message` closes only held rows). The drafts are
    locked, so a decision being written is waited for, and read as it ends."""
    ids = [str(pk) for pk, status in withheld.items() if status == Status.HELD]
    if not ids:
        return
    with transaction.atomic():
        drafts = Draft.objects.select_for_update().filter(
            kind=KIND, content_type=_message_type(), object_id__in=ids
        )
        for draft in drafts:
            if draft.status == DraftStatus.REJECTED:
                rejected(draft, draft.decision_note)
            elif draft.status == DraftStatus.WITHDRAWN:
                withdrawn(draft, draft.last_error)


def release_now_automatic(*, automation):
    """After `automation`'s rollout moved: its held messages whose person is now in the
    automatic arm go, approved by the rollout itself, as a new message would. Returns how
    many were released."""
    from courseops.reviews.rollout import Policies
    from courseops.reviews.services import approve_automatically

    waiting = Draft.objects.filter(kind=KIND, automation=automation, status=DraftStatus.PENDING)
    policies = Policies()
    ids = [
        pk
        for pk, person_key in waiting.values_list("pk", "person_key")
        if policies.arm(person_key=person_key, automation=automation) == Arm.AUTO
    ]
    with transaction.atomic():
        drafts = list(waiting.select_for_update().filter(pk__in=ids))
        for draft in drafts:
            approve_automatically(draft)
    return len(drafts)


def withdraw_expired(*, now=None):
    """Held messages whose moment passed while nobody decided (a reminder once its webinar
    started): their drafts are withdrawn with the reason and the messages dropped, so the
    queue stops offering what can no longer go and the app that queued one learns it
    ended. Returns how many."""
    from courseops.reviews.services import withdraw_if_stale

    now = now or timezone.now()
    # From the waiting drafts (few, on the queue's index), never a scan of the outbox.
    waiting = Draft.objects.filter(kind=KIND, status__in=WAITING)
    expired = OutboundMessage.objects.filter(
        pk__in=waiting.annotate(message=Cast("object_id", BigIntegerField())).values("message"),
        status=Status.HELD,
        expires_at__lte=now,
    ).values_list("pk", flat=True)
    drafts = waiting.filter(object_id__in=[str(pk) for pk in expired[:500]])
    return sum(1 for draft in drafts if withdraw_if_stale(draft=draft))


def withdraw_held(*, messages, reason, user=None):
    """End held messages that must not go any more (a reminder whose webinar moved): each
    is canceled with `reason`, and its draft, which can no longer be approved, leaves the
    review queue withdrawn. Returns how many ended."""
    from courseops.messaging.services import close_held_message
    from courseops.reviews.services import withdraw_if_stale

    ended = [
        message.pk
        for message in messages
        if close_held_message(message=message, status=Status.CANCELED, reason=reason, user=user)
    ]
    drafts = Draft.objects.filter(
        kind=KIND,
        content_type=_message_type(),
        object_id__in=[str(pk) for pk in ended],
        status__in=WAITING,
    )
    for draft in drafts:
        withdraw_if_stale(draft=draft)  # its message is no longer held: that is the reason
    return len(ended)


def _draft_for(messages):
    content_type = _message_type()
    # The text's sign-in and unsubscribe links are the person's credentials: the draft
    # (its page, its edit history) holds them numbered, and the approval puts them back
    # from the message (`release`).
    texts = {message.pk: mask_numbered(message.text_body)[0] for message in messages}
    drafts = Draft.objects.bulk_create(
        [
            Draft(
                kind=KIND,
                content_type=content_type,
                object_id=str(message.pk),
                target_repr=_about(message)[:200],
                recipient=message.recipient if message.channel == Channel.EMAIL else "",
                subject=message.subject[:300],
                generated_subject=message.subject[:300],
                body=texts[message.pk],
                generated_body=texts[message.pk],
                context={"channel": message.channel, "message": message.pk},
                automation=message.automation,
                person_key=message.person_key,
                arm=Arm.REVIEW,
            )
            for message in messages
        ]
    )
    for draft in drafts:
        log_action(
            draft,
            "reviews.draft.created",
            data={"kind": KIND, "arm": Arm.REVIEW, "message": int(draft.object_id)},
        )


def _about(message):
    # An SMS's number stays in the outbox (encrypted there): the draft names the person.
    who = message.recipient if message.channel == Channel.EMAIL else message.person_key
    return f"{message.get_channel_display()}: {who}"


def _message(draft):
    message = draft.target
    if not isinstance(message, OutboundMessage):
        raise ApplyError(_("El mensaje de este borrador ya no existe."), permanent=True)
    return message


def release(draft, user):
    """The approval's action: the held message goes, with staff's edits."""
    from courseops.messaging.services import release_message

    message = _message(draft)
    if message.status == Status.SENDING:  # its batch is recording it as held: retry soon
        raise ApplyError(_("El mensaje se está procesando; se reintenta."))
    edits = {}
    if draft.subject != draft.generated_subject:
        edits["subject"] = draft.subject
    if draft.body != draft.generated_body:
        edits["text"] = unmask_numbered(draft.body, message.text_body)
        if message.channel == Channel.EMAIL:
            edits["html"] = linebreaks(edits["text"], autoescape=True)
    if release_message(message=message, user=user, **edits):
        return message
    if message.status in PENDING:  # back in the queue: the rollout check lets it go now
        return message
    raise ApplyError(
        _("El mensaje ya no espera aprobación: está %(status)s.")
        % {"status": message.get_status_display().lower()},
        permanent=True,
    )


def still_true(draft):
    """Why the held message must not go any more ("" while it may): its moment passed,
    an app's send check refuses it, or it left the queue another way."""
    from courseops.messaging.services.sending import expired_reason

    message = draft.target
    if not isinstance(message, OutboundMessage):
        return _("el mensaje ya no existe.")
    # One being sent may be a batch recording it as held: `release` waits for it.
    if message.status not in (Status.HELD, Status.SENDING, *PENDING):
        return _("el mensaje ya no espera aprobación: está %(status)s.") % {
            "status": message.get_status_display().lower()
        }
    return expired_reason(message) or send_refusal(message)


def withdrawn(draft, reason):
    from courseops.messaging.services import close_held_message

    message = draft.target
    if isinstance(message, OutboundMessage):
        close_held_message(
            message=message,
            status=Status.DROPPED,
            reason=_("Retirado en revisión: %(reason)s") % {"reason": reason},
        )


def rejected(draft, reason):
    from courseops.messaging.services import close_held_message

    message = draft.target
    if isinstance(message, OutboundMessage):
        close_held_message(
            message=message,
            status=Status.CANCELED,
            reason=_("Rechazado en revisión: %(reason)s") % {"reason": reason},
            user=draft.decided_by,
        )


HELD_MESSAGE = ReviewKind(
    name=KIND,
    label=_lazy("Mensaje de una automatización (en revisión)"),
    apply=release,
    still_true=still_true,
    withdrawn=withdrawn,
    rejected=rejected,
)
