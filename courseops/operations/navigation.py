"""The admin's sidebar (unfold's SIDEBAR navigation): first the review queues with the
drafts waiting in each (for the kinds the user may review), then every app and model the
user may see, as unfold lists them by default, and last, for admins only, the technical
menus in one group (`technical_admin`). One grouped query for the counts."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseops.operations.technical_admin import TECHNICAL_MODELS
from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.permissions import reviewable_kinds
from courseops.reviews.registry import kind_label

# Third-party models whose names read as code in the sidebar ("Crontabs"); the two-step
# devices are named on the model itself (`third_party_apps.TwoFactorConfig`).
MODEL_NAMES = {
    "django_celery_beat.crontabschedule": gettext_lazy("Horarios (cron)"),
    "django_celery_beat.clockedschedule": gettext_lazy("Fechas fijas"),
    "django_celery_beat.solarschedule": gettext_lazy("Horarios solares"),
    "authtoken.tokenproxy": gettext_lazy("Tokens internos"),
}


def pending_by_kind(user) -> dict[str, int]:
    """{kind: drafts pending} for the kinds `user` may review that have any."""
    allowed = reviewable_kinds(user)
    drafts = Draft.objects.filter(status=DraftStatus.PENDING)
    if allowed is not None:
        if not allowed:
            return {}
        drafts = drafts.filter(kind__in=allowed)
    rows = drafts.values("kind").annotate(n=Count("pk")).order_by("kind")
    return {row["kind"]: row["n"] for row in rows}


def _review_group(request):
    if not request.user.has_perm("reviews.view_draft"):
        return None
    pending = pending_by_kind(request.user)
    changelist = reverse("admin:reviews_draft_changelist")
    items = [
        {
            "title": kind_label(kind),
            "link": f"{changelist}?{urlencode({'kind': kind, 'status': DraftStatus.PENDING})}",
            "badge": count,
            "badge_variant": "warning",
        }
        for kind, count in sorted(pending.items(), key=lambda item: (-item[1], item[0]))
    ]
    items.insert(0, {"title": _("Todos los borradores pendientes"), "link": changelist})
    return {
        "title": _("Por revisar"),
        "badge": sum(pending.values()) or "",
        "collapsible": False,
        "items": items,
    }


def _label(app, model):
    return f"{app['app_label']}.{model['object_name']}".lower()


def name_models(app_list):
    """Give the third-party models of an admin app list their Spanish names, in place (the
    sidebar and the index page's list)."""
    for app in app_list:
        for model in app["models"]:
            model["name"] = MODEL_NAMES.get(_label(app, model), model["name"])
    return app_list


def sidebar(request):
    groups, technical = [], []
    review = _review_group(request)
    if review is not None:
        groups.append(review)
    for app in name_models(admin.site.get_app_list(request)):
        items = []
        for model in app["models"]:
            if not model.get("admin_url"):
                continue
            item = {"title": model["name"], "link": model["admin_url"]}
            (technical if _label(app, model) in TECHNICAL_MODELS else items).append(item)
        if items:
            groups.append({"title": app["name"], "collapsible": True, "items": items})
    if technical:  # only admins see these models at all (technical_admin)
        groups.append(
            {"title": _("Técnico (administración)"), "collapsible": True, "items": technical}
        )
    return groups
