"""Kinds of drafts, registered by the apps that produce them.

A domain app registers its kinds once, in `AppConfig.ready()`::

    register_kind(EmailReviewKind(name="welcome_email", label=_("Correo de bienvenida")))
    register_kind(ReviewKind(name="lesson_summary", label=_("Resumen"), apply=publish_summary))

Approving a draft runs its kind's `apply(draft, user)` after the decision is committed.

A kind whose drafts speak of a person's state (inactive for two weeks, a task pending, a
webinar on Tuesday) also gives a "still true?" check, `still_true(draft) -> str`: an
empty string while the draft still holds, else the reason it no longer does. It runs when
the draft is approved, when its action runs and when its message leaves the outbox; a
draft no longer true is withdrawn with that reason for staff, never sent.
Each kind gets a Django permission (`reviews.review_<name>`) that lets staff see and
decide its drafts.
"""

import re

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

from courseops.reviews.sanitize import clean_email_html, email_text

_KINDS = {}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,55}$")


class ApplyError(Exception):
    """An action could not run. The draft is marked failed with this message and staff can
    retry it; `permanent` says a retry cannot help until the draft or its target changes."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


class ReviewKind:
    """A kind of draft: its name, a label for staff and what approving it does."""

    # Whether `body` is HTML (then sanitized on every save and shown as a preview).
    html = False

    def __init__(
        self,
        *,
        name,
        label,
        apply=None,
        html=None,
        still_true=None,
        withdrawn=None,
        rejected=None,
    ):
        if not _NAME_RE.match(name):
            raise ImproperlyConfigured(
                f"Review kind name {name!r} must be lowercase letters, digits and underscores."
            )
        self.name = name
        self.label = label
        self._apply = apply
        self._still_true = still_true
        # Called with (draft, reason) once a draft of this kind is withdrawn: the app
        # closes what the draft was for (a nudge becomes skipped).
        self._withdrawn = withdrawn
        # Called with (draft, reason) when staff reject a draft of this kind, in the same
        # transaction: the app closes what waited on it (a held message is canceled).
        self._rejected = rejected
        if html is not None:
            self.html = html

    def apply(self, draft, user):
        if self._apply is None:
            raise ImproperlyConfigured(f"Review kind {self.name!r} has no action.")
        return self._apply(draft, user)

    def stale_reason(self, draft):
        """Why the draft no longer tells the truth about its person ("" while it does)."""
        if self._still_true is None or draft.target is None:
            return ""
        return str(self._still_true(draft) or "")

    def on_withdrawn(self, draft, reason):
        if self._withdrawn is not None:
            self._withdrawn(draft, reason)

    def on_rejected(self, draft, reason):
        if self._rejected is not None:
            self._rejected(draft, reason)

    @property
    def permission_codename(self):
        return f"review_{self.name}"

    @property
    def permission(self):
        return f"reviews.{self.permission_codename}"

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class EmailReviewKind(ReviewKind):
    """An email to one person: approving puts it in the outbox.

    The recipient is the draft's own `recipient`, else `recipient(target)` when given,
    else the target's `email` attribute. The outbox idempotency key is derived from the
    draft, so a double click, a retried task or a retry after a failure queues it once.
    """

    html = True

    def __init__(
        self,
        *,
        name,
        label,
        category="transactional",
        recipient=None,
        still_true=None,
        withdrawn=None,
    ):
        super().__init__(name=name, label=label, still_true=still_true, withdrawn=withdrawn)
        self.category = category
        self._recipient = recipient

    def recipient_for(self, draft):
        if draft.recipient:
            return draft.recipient
        target = draft.target
        if target is not None:
            email = self._recipient(target) if self._recipient else getattr(target, "email", "")
            if email:
                return email
        raise ApplyError(_("El borrador no tiene destinatario."), permanent=True)

    @staticmethod
    def idempotency_key(draft):
        return f"reviews.draft.{draft.pk}"

    def apply(self, draft, user):
        from courseops.messaging.services import queue_email

        html = clean_email_html(draft.body)
        try:
            return queue_email(
                to=self.recipient_for(draft),
                idempotency_key=self.idempotency_key(draft),
                subject=draft.subject,
                html=html,
                text=email_text(html),
                category=self.category,
                related=draft,
                automation=draft.automation,
            )
        except ValidationError as exc:  # bad address, empty subject: fix the draft first
            raise ApplyError(" ".join(exc.messages), permanent=True) from exc


def register_kind(kind):
    """Make `kind` available to `create_draft`; a name can be registered once."""
    if not isinstance(kind, ReviewKind):
        raise TypeError("register_kind() takes a ReviewKind instance.")
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ImproperlyConfigured(f"Review kind {kind.name!r} is already registered.")
    _KINDS[kind.name] = kind
    return kind


def unregister_kind(name):
    _KINDS.pop(name, None)


def get_kind(name):
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"Unknown review kind {name!r}.") from None


def all_kinds():
    return list(_KINDS.values())


def kind_label(name):
    kind = _KINDS.get(name)
    return kind.label if kind else name
