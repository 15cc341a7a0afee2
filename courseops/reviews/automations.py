"""Automations, registered by the apps that run them, so their rollout can be staged.

A domain app registers each automation once, in `AppConfig.ready()`::

    register_automation(Automation(name="nudges", label=_("Avisos"), kinds=["nudge_inactive"]))

and names it when it queues a message (`queue_email(..., automation="nudges")`). Its
drafts are known by their kind. An automation whose messages may carry a text staff
already approved as a draft of its own (webinar reminders' AI text, follow-ups' webinar
summary, each reviewed once per language) gives `reviewed(messages) -> {message ids}`: in
the review arm those messages are not held for staff a second time. The automation's
policy (courseops.reviews.rollout) then decides, per person, whether its drafts wait for
staff or go out on their own, and whether its messages leave at all or stay in shadow.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.core.exceptions import ImproperlyConfigured

_AUTOMATIONS = {}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,55}$")


@dataclass(frozen=True)
class Automation:
    name: str
    label: str
    kinds: tuple = field(default=())
    # The messages among a batch of this automation's whose whole text a person approved.
    reviewed: Callable | None = None

    def __post_init__(self):
        if not _NAME_RE.match(self.name):
            raise ImproperlyConfigured(
                f"Automation name {self.name!r} must be lowercase letters, digits and underscores."
            )
        object.__setattr__(self, "kinds", tuple(self.kinds))


def register_automation(automation):
    known = _AUTOMATIONS.get(automation.name)
    if known is not None and known != automation:
        raise ImproperlyConfigured(f"Automation {automation.name!r} is already registered.")
    _AUTOMATIONS[automation.name] = automation
    return automation


def extend_automation(name, kinds):
    """Add an app's own draft kinds to an automation a floor below registered (engagement's
    onboarding drip joins students' `onboarding`): its drafts then follow that rollout."""
    automation = get_automation(name)
    new = tuple(kind for kind in kinds if kind not in automation.kinds)
    if new:
        _AUTOMATIONS[name] = replace(automation, kinds=automation.kinds + new)
    return _AUTOMATIONS[name]


def get_automation(name):
    try:
        return _AUTOMATIONS[name]
    except KeyError:
        raise LookupError(f"Unknown automation {name!r}.") from None


def all_automations():
    return list(_AUTOMATIONS.values())


def automation_of_kind(kind):
    """The name of the automation whose drafts are of `kind`, or ""."""
    for automation in _AUTOMATIONS.values():
        if kind in automation.kinds:
            return automation.name
    return ""


def automation_label(name):
    automation = _AUTOMATIONS.get(name)
    return automation.label if automation else name


def unregister_automation(name):
    _AUTOMATIONS.pop(name, None)
