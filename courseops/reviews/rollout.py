"""Staged rollout of automations and draft kinds: shadow -> review -> N % -> automatic.

Each person's case falls in one arm: `shadow` (drafted and computed, never sent),
`review` (waits for staff) or `auto` (goes out on its own). In `percent` mode the arm is
`auto` for the people whose stable bucket (a hash of the person and the policy, 0-99) is
below N, `review` for the others: the same person stays in the same arm while N is the
same, and raising N only moves people from review to automatic.

A draft's arm is the more careful of its automation's and its kind's. The arm of every
message of an automation is enforced where messages leave the outbox (`outbox_holds`,
registered as the outbox's rollout check), whatever path queued it: in shadow it is kept,
not sent; in review it waits for staff in the review queue (courseops.reviews.held), so a
reminder or a campaign email waits like a drafted welcome does; automatic, it goes.
"""

import hashlib
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseops.audit.services import log_action
from courseops.messaging.hooks import find_person
from courseops.messaging.models import Status
from courseops.reviews.automations import get_automation
from courseops.reviews.held import release_now_automatic, review_holds
from courseops.reviews.models import (
    Arm,
    AutomationPolicy,
    Draft,
    DraftStatus,
    PolicyMode,
    ReviewPolicy,
)
from courseops.reviews.registry import get_kind

# From most to least careful: the arm of two policies is the first of theirs in this list.
CAREFUL_ORDER = [Arm.SHADOW, Arm.REVIEW, Arm.AUTO]


def bucket(scope, person_key):
    """The person's stable place (0-99) under one policy: the same on every machine and
    every run (a hash, not Python's salted `hash`)."""
    digest = hashlib.sha256(f"{scope}\n{person_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def policy_arm(policy, *, scope, person_key, now, default=Arm.AUTO):
    """The arm `policy` (a ReviewPolicy or AutomationPolicy, or None) gives one person."""
    if policy is None:
        return default
    if policy.mode == PolicyMode.SHADOW or policy.in_shadow_period(now):
        return Arm.SHADOW
    if policy.mode == PolicyMode.REVIEW:
        return Arm.REVIEW
    if policy.mode == PolicyMode.PERCENT:
        return Arm.AUTO if bucket(scope, person_key) < policy.percent else Arm.REVIEW
    return Arm.AUTO


def more_careful(*arms):
    return min(arms, key=CAREFUL_ORDER.index)


class Policies:
    """The policies read once (a batch of messages, one draft): a handful of rows."""

    def __init__(self):
        self.automations = {p.automation: p for p in AutomationPolicy.objects.all()}
        self.kinds = {p.kind: p for p in ReviewPolicy.objects.all()}

    def arm(self, *, person_key, automation="", kind="", now=None):
        now = now or timezone.now()
        arms = []
        if automation:
            arms.append(
                policy_arm(
                    self.automations.get(automation),
                    scope=f"automation:{automation}",
                    person_key=person_key,
                    now=now,
                )
            )
        if kind:
            arms.append(
                policy_arm(
                    self.kinds.get(kind),
                    scope=f"kind:{kind}",
                    person_key=person_key,
                    now=now,
                    default=Arm.REVIEW,
                )
            )
        return more_careful(*arms) if arms else Arm.AUTO


def person_key_for(*, recipient="", target=None):
    """Who a draft is for, in the outbox's terms (so a person's draft and their message
    fall in the same arm): the person behind the recipient's address, else the target."""
    if recipient:
        return find_person(channel="email", address=recipient.strip().lower()).key[:260]
    if target is not None:
        meta = target._meta
        return f"{meta.app_label}.{meta.model_name}:{target.pk}"
    return ""


def shadow_ended(draft):
    """True for a draft kept in shadow whose person its kind and automation no longer keep
    in shadow (the shadow period ended, the policy changed): it will never be approved, so
    whoever waits for it asks for a new one."""
    if draft.status != DraftStatus.SHADOW:
        return False
    arm = Policies().arm(person_key=draft.person_key, automation=draft.automation, kind=draft.kind)
    return arm != Arm.SHADOW


# --- Where messages leave: the outbox's rollout check --------------------------------------


def outbox_holds(messages):
    """{message id: (status, reason)} of the outbox rows that must not leave now: kept in
    shadow, held for staff (review arm), or canceled (staff rejected them).

    A message of an AI draft follows its draft's automation and kind (a draft a person
    approved is staff's own decision and leaves); any other message of an automation
    follows that automation's policy for its person.
    """
    draft_type = ContentType.objects.get_for_model(Draft).pk
    draft_ids = {
        int(message.object_id)
        for message in messages
        if message.content_type_id == draft_type and message.object_id.isdigit()
    }
    if not draft_ids and not any(message.automation for message in messages):
        return {}
    drafts = {
        draft["pk"]: draft
        for draft in Draft.objects.filter(pk__in=draft_ids).values(
            "pk", "kind", "automation", "person_key", "decided_automatically", "decided_at"
        )
    }
    policies, now, held, in_review = Policies(), timezone.now(), {}, []
    for message in messages:
        draft = drafts.get(int(message.object_id)) if message.object_id.isdigit() else None
        if message.content_type_id == draft_type and draft is not None:
            if draft["decided_at"] and not draft["decided_automatically"]:
                continue
            arm = policies.arm(
                person_key=draft["person_key"] or message.person_key,
                automation=draft["automation"] or message.automation,
                kind=draft["kind"],
                now=now,
            )
        elif message.automation:
            arm = policies.arm(person_key=message.person_key, automation=message.automation)
        else:
            continue
        if arm == Arm.SHADOW:
            held[message.pk] = (
                Status.SHADOWED,
                _("En sombra: la automatización no envía a esta persona."),
            )
        elif arm == Arm.REVIEW:
            in_review.append(message)
    in_review = _not_reviewed_yet(in_review)
    if in_review:
        held.update(review_holds(in_review))
    return held


def _not_reviewed_yet(messages):
    """`messages` less those whose automation says a person already approved their whole
    text (a reminder's AI text, a follow-up's summary): staff review each thing once, not
    again per person."""
    by_automation = {}
    for message in messages:
        by_automation.setdefault(message.automation, []).append(message)
    reviewed = set()
    for name, group in by_automation.items():
        try:
            automation = get_automation(name)
        except LookupError:  # a draft's message, or an automation no longer registered
            continue
        if automation.reviewed is not None:
            reviewed |= set(automation.reviewed(group))
    return [message for message in messages if message.pk not in reviewed]


# --- Changing policies ---------------------------------------------------------------------


def _check(user, model):
    permission = f"reviews.change_{model._meta.model_name}"
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(_("No tienes permiso para cambiar el despliegue."))


def validate_policy(*, mode, percent, shadow_from, shadow_until):
    """Raises ValidationError (in Spanish) for a policy that cannot be: the admin's forms
    show it beside the fields, `_set` refuses it from any other caller."""
    if mode not in PolicyMode.values:
        raise ValidationError(_("Modo desconocido: %(mode)s") % {"mode": mode})
    if not 0 <= int(percent) <= 100:
        raise ValidationError(_("El porcentaje va de 0 a 100."))
    if shadow_from and not shadow_until:
        raise ValidationError(_("Indica cuándo termina el periodo en sombra."))
    if shadow_from and shadow_until and shadow_until <= shadow_from:
        raise ValidationError(_("El periodo en sombra termina después de empezar."))


def _stamp(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _set(policy_model, lookup, *, action, user, mode, percent, shadow_from, shadow_until):
    _check(user, policy_model)
    validate_policy(mode=mode, percent=percent, shadow_from=shadow_from, shadow_until=shadow_until)
    new = {
        "mode": mode,
        "percent": int(percent),
        "shadow_from": shadow_from,
        "shadow_until": shadow_until,
    }
    with transaction.atomic():
        policy, created = policy_model.objects.select_for_update().get_or_create(**lookup)
        before = {name: getattr(policy, name) for name in new}
        if before != new or created:
            for name, value in new.items():
                setattr(policy, name, value)
            policy.updated_by = user
            policy.save()
            log_action(
                policy,
                action,
                user=user,
                data={
                    **lookup,
                    "from": {name: _stamp(value) for name, value in before.items()},
                    "to": {name: _stamp(value) for name, value in new.items()},
                },
            )
    return policy


def set_automation_policy(
    *, automation, user, mode, percent=0, shadow_from=None, shadow_until=None
):
    """Move an automation's rollout (audited; needs `reviews.change_automationpolicy`).
    Its held messages whose person is now in the automatic arm go at once."""
    get_automation(automation)
    with transaction.atomic():
        policy = _set(
            AutomationPolicy,
            {"automation": automation},
            action="reviews.rollout.changed",
            user=user,
            mode=mode,
            percent=percent,
            shadow_from=shadow_from,
            shadow_until=shadow_until,
        )
        release_now_automatic(automation=automation)
    return policy


def set_kind_policy(*, kind, user, mode, percent=0, shadow_from=None, shadow_until=None):
    """Move a draft kind's rollout (audited; needs `reviews.change_reviewpolicy`)."""
    get_kind(kind)
    return _set(
        ReviewPolicy,
        {"kind": kind},
        action="reviews.policy.changed",
        user=user,
        mode=mode,
        percent=percent,
        shadow_from=shadow_from,
        shadow_until=shadow_until,
    )
