"""Staff see and decide only the kinds of drafts they hold the permission for."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext

from courseops.reviews.automations import all_automations, get_automation
from courseops.reviews.models import AutomationPolicy, Draft, ReviewPolicy
from courseops.reviews.registry import all_kinds, get_kind


def ensure_kind_permissions(*, using=DEFAULT_DB_ALIAS):
    """Create the permission and the default (`review`) policy of every registered kind,
    and the default (`auto`) rollout of every registered automation.

    Runs after every `migrate` (post_migrate); never overwrites a policy staff changed.
    """
    content_type = ContentType.objects.db_manager(using).get_for_model(Draft)
    permissions = Permission.objects.using(using).filter(content_type=content_type)
    names = dict(permissions.values_list("codename", "name"))
    missing = []
    for kind in all_kinds():
        name = gettext("Puede revisar borradores: %s") % kind.label
        if kind.permission_codename not in names:
            missing.append(
                Permission(content_type=content_type, codename=kind.permission_codename, name=name)
            )
        elif names[kind.permission_codename] != name:
            permissions.filter(codename=kind.permission_codename).update(name=name)
    Permission.objects.using(using).bulk_create(missing)
    _create_missing(ReviewPolicy, "kind", [kind.name for kind in all_kinds()], using)
    _create_missing(
        AutomationPolicy, "automation", [automation.name for automation in all_automations()], using
    )


def _create_missing(model, field, values, using):
    """One row per value, with the model's defaults, for the values that have none yet."""
    have = set(model.objects.using(using).values_list(field, flat=True))
    model.objects.using(using).bulk_create(
        [model(**{field: value}) for value in values if value not in have]
    )


def on_post_migrate(sender, apps=None, using=DEFAULT_DB_ALIAS, **kwargs):
    if apps is not None:
        try:
            apps.get_model("reviews", "AutomationPolicy")
        except LookupError:
            return  # migrated back to zero: no tables to fill
    ensure_kind_permissions(using=using)


def can_review(user, kind_name):
    """May `user` see, edit, approve and reject drafts of this kind?"""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    try:
        kind = get_kind(kind_name)
    except LookupError:
        return False
    return user.has_perm(kind.permission)


def reviewable_kinds(user):
    """Names of the kinds `user` may review, or None for all (superusers)."""
    if user.is_active and user.is_superuser:
        return None
    return [kind.name for kind in all_kinds() if can_review(user, kind.name)]


def can_read_rollout_people(user, *, automation):
    """May `user` read who an automation's rollout wrote to and what (the shadow log's
    people, subjects and first lines)? Those who may move rollouts, and those who may
    review every kind of draft it writes: reading the rollout page alone is not enough."""
    if user.has_perm("reviews.change_automationpolicy"):
        return True
    try:
        kinds = get_automation(automation).kinds
    except LookupError:
        return False
    return bool(kinds) and all(can_review(user, kind) for kind in kinds)
