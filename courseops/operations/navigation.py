"""The admin's sidebar (unfold's SIDEBAR navigation): first the review queues with the
drafts waiting in each (for the kinds the user may review), then every app and model the
user may see, as unfold lists them by default. One grouped query for the counts."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from courseops.reviews.models import Draft, DraftStatus
from courseops.reviews.permissions import reviewable_kinds
from courseops.reviews.registry import kind_label


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


def sidebar(request):
    groups = []
    review = _review_group(request)
    if review is not None:
        groups.append(review)
    for app in admin.site.get_app_list(request):
        groups.append(
            {
                "title": app["name"],
                "collapsible": True,
                "items": [
                    {"title": model["name"], "link": model["admin_url"]}
                    for model in app["models"]
                    if model.get("admin_url")
                ],
            }
        )
    return groups
