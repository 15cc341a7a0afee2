"""Staff roles as Django groups, created and completed after every `migrate`.

A role grants permissions by app label and action, so models added later to an app (or
a whole new app listed here) are covered without editing this file; review permissions
(`reviews.review_<kind>`) go by kind-name pattern. Permissions are only ever added: a
permission staff grant a group by hand stays. Remember that a person also needs
`is_staff` to enter the admin.
"""

from fnmatch import fnmatch

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

ALL = None  # every permission of the app, custom ones included
READ = ("view",)
EDIT = ("view", "add", "change")
REVIEW_PREFIX = "review_"
# Whether a kind of draft (or an automation) goes out without review, to whom and when it
# leaves shadow is the admin's call alone.
ADMIN_ONLY = [
    "reviews.add_reviewpolicy",
    "reviews.change_reviewpolicy",
    "reviews.add_automationpolicy",
    "reviews.change_automationpolicy",
    "reviews.delete_*",
    # Messages exactly as sent, live sign-in links included (courseops.core.redaction).
    "messaging.view_sent_credentials",
]

ROLES = {
    "admin": {"apps": {"*": ALL}, "review_kinds": ["*"], "admin_only": True},
    "support": {
        "apps": {
            "students": ALL,
            "webinars": ALL,
            "support": ALL,
            "engagement": ALL,
            "messaging": EDIT,
            "reviews": EDIT,
            "webhooks": ("view", "change"),
            "content": READ,
            "marketing": READ,
            "audit": READ,
            "ai": READ,
            # Support is on call: it takes (acknowledges) and snoozes incidents.
            "operations": ("view", "acknowledge"),
            "surveys": READ,
        },
        "review_kinds": [
            "welcome_email",
            "onboarding_drip",
            "webinar_*",
            "faq_*",
            "question_*",
            "at_risk_*",
        ],
    },
    "content": {
        "apps": {
            "content": ALL,
            "reviews": EDIT,
            "ai": READ,
            "students": READ,
            "webinars": READ,
            "engagement": READ,
            "surveys": READ,
        },
        "review_kinds": ["lesson_*", "quiz_*", "summary*", "survey_summary"],
    },
    "marketing": {
        "apps": {
            "marketing": ALL,
            "webinars": EDIT,
            "reviews": EDIT,
            "messaging": READ,
            "students": READ,
            "ai": READ,
            "surveys": READ,
        },
        "review_kinds": ["post_*", "campaign_*", "sequence_*", "landing_*", "ad_*", "lead_*"],
    },
}


def _granted(role, app_label, codename):
    if role.get("admin_only") is not True and any(
        fnmatch(f"{app_label}.{codename}", pattern) for pattern in ADMIN_ONLY
    ):
        return False
    if codename.startswith(REVIEW_PREFIX) and app_label == "reviews":
        kind = codename.removeprefix(REVIEW_PREFIX)
        return any(fnmatch(kind, pattern) for pattern in role["review_kinds"])
    apps = role["apps"]
    if app_label not in apps and "*" not in apps:
        return False
    actions = apps.get(app_label, apps.get("*"))
    return actions is ALL or codename.split("_", 1)[0] in actions


def _last_app_with_models():
    return [config for config in global_apps.get_app_configs() if config.models_module][-1]


def sync_roles(*, using=DEFAULT_DB_ALIAS):
    """Create the groups and add what each role grants; returns {group: permissions added}."""
    permissions = list(
        Permission.objects.using(using).values_list("pk", "content_type__app_label", "codename")
    )
    added = {}
    for name, role in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = {pk for pk, app, codename in permissions if _granted(role, app, codename)}
        have = set(group.permissions.values_list("pk", flat=True))
        if wanted - have:
            group.permissions.add(*(wanted - have))
        added[name] = len(wanted - have)
    return added


def on_post_migrate(sender, using=DEFAULT_DB_ALIAS, apps=None, **kwargs):
    """Runs once per migrate (or flush), on the signal of the last app: by then every
    app's permissions exist (Django creates each app's on its own signal, before this)."""
    if sender is not _last_app_with_models():
        return
    if apps is not None:
        try:
            apps.get_model("auth", "Group")
        except LookupError:
            return
    sync_roles(using=using)
